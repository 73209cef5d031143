/*
 * irq.h - an interrupt line as devices see it.
 *
 * A device never talks to KVM or to the machine to raise an interrupt: it
 * is handed a struct irq_line at creation and calls irq_line_set() with the
 * new level.  The machine wires the line to KVM_IRQ_LINE; a unit test wires
 * it to a recorder.  Devices call it only when their output level changes,
 * so an edge-triggered ISA input sees one rising edge per event.
 */
#ifndef TTYVM_IRQ_H
#define TTYVM_IRQ_H

struct irq_line {
	void (*set)(void *ctx, unsigned int gsi, int level);
	void *ctx;
	unsigned int gsi;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->ctx, l->gsi, level);
}

/* A short pulse: raise then lower (edge-triggered sources such as SCI/PIT). */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_line_set(l, 1);
	irq_line_set(l, 0);
}

#endif

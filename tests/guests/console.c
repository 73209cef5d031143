/*
 * console.c - polled output on COM1 (0x3F8, 115200 8N1) and a small
 * printf.  One spinlock (lock xchg) serialises whole kprintf calls across
 * CPUs so that every line the host parses is intact; each call prints one
 * line.  Format support: %d %u %x %s %c %p, flags 0, width, l/ll.  No
 * input, no interrupts, no buffering.
 */
#include "tk.h"
#include <stdarg.h>

#define COM1 0x3F8

static volatile u32 con_lock;

void con_init(void)
{
	outb(COM1 + 1, 0x00);		/* IER: no interrupts */
	outb(COM1 + 3, 0x80);		/* LCR: DLAB */
	outb(COM1 + 0, 0x01);		/* divisor 1: 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0xC7);		/* FIFO on, cleared */
	outb(COM1 + 4, 0x03);		/* DTR, RTS */
}

static void con_putc(char c)
{
	for (u32 i = 0; i < 100000; i++)
		if (inb(COM1 + 5) & 0x20)	/* LSR.THRE */
			break;
	outb(COM1, (u8)c);
}

static void lock(void)
{
	while (__atomic_exchange_n(&con_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&con_lock, 0, __ATOMIC_RELEASE);
}

struct sink {
	char *buf;			/* NULL: the UART */
	uptr size, len;
};

static void put(struct sink *s, char c)
{
	if (!s->buf)
		con_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_num(struct sink *s, u64 v, u32 base, int neg, int width, int zero)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		width--;
	if (neg && zero)
		put(s, '-');
	for (int i = n; i < width; i++)
		put(s, zero ? '0' : ' ');
	if (neg && !zero)
		put(s, '-');
	while (n)
		put(s, tmp[--n]);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(s, *fmt);
			continue;
		}
		fmt++;
		int zero = 0, width = 0, lng = 0;
		if (*fmt == '0') {
			zero = 1;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(s, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, zero);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = lng ? va_arg(ap, u64) : va_arg(ap, u32);
			put_num(s, v, *fmt == 'u' ? 10 : 16, 0, width, zero);
			break;
		}
		case 'p':
			put(s, '0');
			put(s, 'x');
			put_num(s, (u64)(uptr)va_arg(ap, void *), 16, 0, 0, 0);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int n = (int)strlen(str);
			for (int i = n; i < width; i++)
				put(s, ' ');
			while (*str)
				put(s, *str++);
			break;
		}
		case 'c':
			put(s, (char)va_arg(ap, int));
			break;
		case '%':
			put(s, '%');
			break;
		case 0:
			return;
		default:
			put(s, '%');
			put(s, *fmt);
			break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	struct sink s = { NULL, 0, 0 };
	va_list ap;

	va_start(ap, fmt);
	lock();
	format(&s, fmt, ap);
	unlock();
	va_end(ap);
}

void kprintf_nolock(const char *fmt, ...)
{
	struct sink s = { NULL, 0, 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
}

int ksnprintf(char *buf, uptr size, const char *fmt, ...)
{
	struct sink s = { buf, size, 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = 0;
	return (int)s.len;
}

void con_print_cmdline(const char *str)
{
	lock();
	for (const char *p = "cmdline: "; *p; p++)
		con_putc(*p);
	for (u32 i = 0; str && str[i] && i < 0x10000; i++) {
		u8 c = (u8)str[i];
		con_putc(c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	con_putc('\n');
	unlock();
}

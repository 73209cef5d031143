/*
 * cli_start.c - `ttyvm start NAME`: run a defined VM as a background
 * process and return once it answers on its control socket.
 *
 * The options and the messages only: the work (pid-file lock, clean-up
 * after a crash, daemonising, waiting for the socket) is vmstore_start()'s,
 * which the TUI calls too.  When the VM process dies before it is ready,
 * the last lines of its log say why.
 */
#include "ui/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/vmdef.h"
#include "ui/vmstore.h"
#include "util/log.h"
#include "util/parse.h"

enum {
	START_EXIT_OK = 0,
	START_EXIT_ERROR = 1,
	START_EXIT_RUNNING = 3,
	START_EXIT_TIMEOUT = 4,
};

#define START_DEFAULT_TIMEOUT 30 /* seconds */
#define START_LOG_LINES 15       /* shown when the VM fails to start */

void cli_start_usage(FILE *out)
{
	fprintf(out,
		"usage: ttyvm start [--timeout S] NAME\n"
		"\n"
		"Starts the VM defined in NAME.ini (see ttyvm.ini(5)) as a background\n"
		"process and returns once it answers on its control socket, RUNTIME/NAME.sock.\n"
		"Its messages, and its serial console when the definition says stdio, go\n"
		"to RUNTIME/NAME.log; RUNTIME/NAME.pid holds its process id.  RUNTIME is\n"
		"$XDG_RUNTIME_DIR/ttyvm (or $TTYVM_HOME/run).  A running VM is not started\n"
		"twice; files left by a VM that crashed are cleaned up.\n"
		"\n"
		"  -t, --timeout S  wait at most S seconds for the VM to answer (default %d)\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 started (also when the guest powered off before it could be\n"
		"asked); 1 error (the log's last lines are shown); 3 the VM is already\n"
		"running; 4 it did not answer in time (it may still be starting).\n",
		START_DEFAULT_TIMEOUT);
}

static int start_parse(int argc, char **argv, int *timeout_s, const char **name)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*timeout_s = START_DEFAULT_TIMEOUT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_uint(optarg, 1, 86400, &v)) {
				log_error("start: --timeout %s: expected seconds from 1 to 86400",
					  optarg);
				return 1;
			}
			*timeout_s = (int)v;
			break;
		case 'h':
			cli_start_usage(stdout);
			return 2;
		case ':':
			log_error("start: option %s needs a value", argv[optind - 1]);
			return 1;
		default:
			log_error("start: unknown option %s (see ttyvm start --help)",
				  argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1) {
		log_error(optind >= argc ? "start: which VM? (ttyvm start --help)"
					 : "start: one VM at a time (ttyvm start --help)");
		return 1;
	}
	*name = argv[optind];
	if (!vmdef_name_valid(*name)) {
		log_error("start: '%s': " VMDEF_NAME_RULE, *name);
		return 1;
	}
	return 0;
}

int cli_start(int argc, char **argv)
{
	struct vmstore_started st;
	char err[VMSTORE_ERR_MAX];
	const char *name;
	int timeout_s, r;

	r = start_parse(argc, argv, &timeout_s, &name);
	if (r)
		return r == 2 ? START_EXIT_OK : START_EXIT_ERROR;
	r = vmstore_start(name, timeout_s * 1000, &st, err, sizeof(err));
	if (st.stale_pid)
		log_info("%s: cleaned up after pid %ld, which did not exit cleanly", name,
			 (long)st.stale_pid);
	if (st.stale_socket)
		log_info("%s: removed the stale control socket of a VM that did not exit "
			 "cleanly", name);
	if (r == 0) {
		printf("%s: started (pid %ld)%s\n", name, (long)st.pid,
		       st.ended ? ", and it has powered off already" : "");
		return START_EXIT_OK;
	}
	log_error("%s", err);
	if (r == -EALREADY) {
		log_info("see ttyvm status %s", name);
		return START_EXIT_RUNNING;
	}
	if (r == -ETIMEDOUT) {
		log_info("ttyvm status %s tells when it is up", name);
		return START_EXIT_TIMEOUT;
	}
	if (r == -ECHILD) {
		char *tail = malloc(16384);
		if (tail && vmstore_log_tail(st.log, st.log_offset, START_LOG_LINES, tail,
					     16384) > 0) {
			fprintf(stderr, "--- last lines of %s:\n", st.log);
			for (char *line = tail; *line;) {
				char *eol = strchr(line, '\n');
				size_t len = eol ? (size_t)(eol - line) : strlen(line);
				fprintf(stderr, "  | %.*s\n", (int)len, line);
				line += len + (eol ? 1 : 0);
			}
		}
		free(tail);
	}
	return START_EXIT_ERROR;
}

/*
 * pidfile_test.c - pid files locked for the life of a process: a second
 * lock is refused with the holder's pid, the lock follows fork(), and a
 * file whose process is gone is known stale.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ui/pidfile.h"

static void test_lock_query_stale(void **state)
{
	char dir[] = "/tmp/ttyvm-pid-XXXXXX", path[64];
	pid_t holder = 0, stale = -1, pid = 0;
	int fd, fd2;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.pid", dir);
	assert_int_equal(pidfile_query(path, &pid), 0); /* no file */

	assert_int_equal(pidfile_lock(path, &fd, &holder, &stale), 0);
	assert_int_equal(stale, 0);
	assert_int_equal(pidfile_write(fd, 4242), 0);
	assert_int_equal(pidfile_query(path, &pid), 1);
	assert_int_equal(pid, 4242);
	/* a second lock, even from this process, is refused */
	assert_int_equal(pidfile_lock(path, &fd2, &holder, &stale), -EBUSY);
	assert_int_equal(holder, 4242);

	/* the lock follows fork: the child holds it after we close ours */
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0); /* exiting drops the lock */
	}
	close(go[0]);
	close(fd);
	assert_int_equal(pidfile_query(path, &pid), 1);
	assert_int_equal(pidfile_lock(path, &fd2, &holder, &stale), -EBUSY);
	close(go[1]);
	waitpid(child, NULL, 0);

	/* the process is gone, the file stays: stale */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(pidfile_query(path, &pid), 0);
	assert_int_equal(pidfile_lock(path, &fd, &holder, &stale), 0);
	assert_int_equal(stale, 4242);
	pidfile_remove(path, fd);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pidfile_query(path, &pid), 0);

	/* garbage in the file is no pid */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("12ab\n", f);
	fclose(f);
	assert_int_equal(pidfile_lock(path, &fd, &holder, &stale), 0);
	assert_int_equal(stale, 0);
	pidfile_remove(path, fd);
	/* a symbolic link is not followed */
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(pidfile_lock(path, &fd, &holder, &stale), -ELOOP);
	unlink(path);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_lock_query_stale),
};

UNIT_SUITE(pidfile, tests);

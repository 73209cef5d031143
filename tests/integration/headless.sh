#!/bin/sh
# headless.sh - the scripted mode end to end, as a user's script would use
# it, on /dev/kvm: create a VM with the test kernel, start it, expect its
# report, read it through console, take screenshots, pause/resume/reset, stop it, and the
# verbs on VMs that do not run, with every exit status checked.  Then
# edit, clone, rename, delete and create with disks.
#
# Run by tests/integration/headless_test.c (the KVM suite) with
# TTYVM_BIN, TTYVM_GUESTS and TTYVM_PRESETS_DIR set; uses a TTYVM_HOME of
# its own and stops what it started on every way out.  Prints "ok: ..."
# per step and "FAIL: ..." with the outputs for each failure; exits 0
# only when every step passed.
set -u

T=${TTYVM_BIN:?TTYVM_BIN: the ttyvm binary}
K=${TTYVM_GUESTS:?TTYVM_GUESTS: the test guests}/testkernel.bzImage
export TTYVM_PRESETS_DIR=${TTYVM_PRESETS_DIR:?TTYVM_PRESETS_DIR: data/presets}
W=$(mktemp -d /tmp/ttyvm-headless-XXXXXX) || exit 2
export TTYVM_HOME="$W/home"
BOOT=120          # seconds a boot may take under the instruction emulator
fails=0
VMS="tk tk-copy tk3 inst off"

cleanup() {
	# a failure leaves the VM logs in the output: the evidence of a crash
	if [ "$fails" != 0 ]; then
		for log in "$TTYVM_HOME"/data/*/*.log "$TTYVM_HOME"/*/*.log; do
			[ -f "$log" ] || continue
			echo "--- $log (last 40 lines)"
			tail -n 40 "$log"
		done
	fi
	for vm in $VMS; do
		"$T" stop --force --timeout 10 "$vm" >/dev/null 2>&1
	done
	# a VM process that did not answer: by its pid file, last resort
	for p in "$TTYVM_HOME"/run/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	[ -n "${bg:-}" ] && kill "$bg" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# check WANT WHAT COMMAND...: runs COMMAND, output in $W/out and $W/err
check() {
	want=$1
	what=$2
	shift 2
	"$@" >"$W/out" 2>"$W/err" </dev/null
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok: $what"
	else
		echo "FAIL: $what: exit status $got, wanted $want"
		echo "  command: $*"
		sed 's/^/  out| /' "$W/out"
		sed 's/^/  err| /' "$W/err"
		fails=$((fails + 1))
	fi
}

# has FILE TEXT WHAT: FILE ($W/out or $W/err) holds TEXT
has() {
	if grep -qF -- "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: $3: no \"$2\" in $(basename "$1")"
		sed 's/^/  | /' "$1"
		fails=$((fails + 1))
	fi
}

# --- a VM that does not run ------------------------------------------------------
check 0 "create tk" "$T" create tk --kernel "$K" --append tk.test=report --memory 64M --cpus 1
has "$W/out" "tk: created (1 vCPU, 64 MiB)" "create says what it made"
check 1 "create tk again is refused" "$T" create tk --kernel "$K"
has "$W/err" "exists already" "create names the clash"
check 1 "create with a missing kernel" "$T" create nokernel --kernel "$W/nope"
has "$W/err" "--kernel $W/nope: No such file" "create names the option and the file"
check 1 "create with nothing to boot" "$T" create empty
check 0 "list" "$T" list
has "$W/out" "NAME                 STATE" "list has a header"
if grep -qE '^tk +stopped +1 +64 MiB +- +- +-$' "$W/out"; then echo "ok: list: tk stopped, fixed columns"
else echo "FAIL: list row"; cat "$W/out"; fails=$((fails + 1)); fi
check 2 "status of a VM that is not running" "$T" status tk
check 2 "pause, not running" "$T" pause tk
check 2 "resume, not running" "$T" resume tk
check 2 "reset, not running" "$T" reset tk
check 2 "stop, not running" "$T" stop tk
check 2 "expect, not running" "$T" expect tk "testkernel" --timeout 2
check 2 "console, not running" "$T" console tk
check 2 "screenshot, not running" "$T" screenshot tk "$W/x.png"
check 1 "verbs on a VM that does not exist" "$T" start nosuchvm

# --- start, expect, console --------------------------------------------------------
check 0 "start tk" "$T" start tk
has "$W/out" "tk: started (pid " "start says so"
check 3 "start tk twice" "$T" start tk
check 0 "expect the report" "$T" expect tk "testkernel: done" --timeout $BOOT
check 0 "expect finds output from before it started" "$T" expect tk "cmdline: tk.test=report" --timeout 10
check 1 "expect times out" "$T" expect tk "this never appears" --timeout 2
has "$W/err" "did not appear within 2 s" "expect says it timed out"
check 1 "expect --new ignores what came before" "$T" expect --new tk "testkernel: done" --timeout 2
check 0 "console --replay, stdin not a terminal" "$T" console --replay --timeout 3 tk
has "$W/out" "testkernel: boot=bzimage" "console shows the serial output"
has "$W/out" "testkernel: done" "console shows the whole report"
printf 'typed into the guest\n' | "$T" console --timeout 2 tk >"$W/out" 2>"$W/err"
if [ $? = 0 ]; then echo "ok: console with stdin from a pipe"; else echo "FAIL: console, piped"; cat "$W/err"; fails=$((fails + 1)); fi
# one client types at a time; others may watch
(sleep 8) | "$T" console --timeout 8 tk >/dev/null 2>&1 &
bg=$!
sleep 2
check 3 "a second console that would type is refused" "$T" console --timeout 2 tk
has "$W/err" "another client has the console" "console says who has it"
check 0 "console --ro watches meanwhile" "$T" console --ro --replay --timeout 2 tk
has "$W/out" "testkernel: done" "the watcher sees the output"
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
bg=

# --- screenshot ------------------------------------------------------------------------
# png_size FILE: "WIDTHxHEIGHT" from a PNG's signature and IHDR, "" when FILE
# is no PNG
png_size() {
	[ "$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a ] || return 0
	[ "$(od -An -c -j12 -N4 "$1" | tr -d ' \n')" = IHDR ] || return 0
	w=$(od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	h=$(od -An -tu1 -j20 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	echo "${w}x${h}"
}
check 0 "screenshot" "$T" screenshot tk "$W/shot.png"
has "$W/out" "tk: 640x480 screenshot in $W/shot.png" "screenshot says the guest's resolution"
if [ "$(png_size "$W/shot.png")" = 640x480 ]; then echo "ok: screenshot is a 640x480 PNG"
else echo "FAIL: screenshot is no 640x480 PNG: $(png_size "$W/shot.png")"; fails=$((fails + 1)); fi
mkdir -p "$W/rel"
check 0 "screenshot to a relative path, from another directory" sh -c "cd '$W/rel' && '$T' screenshot --json tk 'a shot.png'"
has "$W/out" "\"path\":\"$W/rel/a shot.png\",\"width\":640,\"height\":480" "screenshot --json"
if [ "$(png_size "$W/rel/a shot.png")" = 640x480 ]; then echo "ok: the relative path is the caller's"
else echo "FAIL: no PNG at $W/rel/a shot.png"; ls -la "$W/rel"; fails=$((fails + 1)); fi
check 1 "screenshot into a missing directory" "$T" screenshot tk "$W/nodir/x.png"
has "$W/err" "cannot write $W/nodir/x.png: No such file" "screenshot names the file"

# --- list, info, pause, resume, reset ----------------------------------------------
check 0 "list, running" "$T" list
if grep -qE '^tk +running +1 +64 MiB +[0-9.]+ +[0-9:]+ +[0-9]+$' "$W/out"; then echo "ok: list: tk running, CPU%, uptime, pid"
else echo "FAIL: list row while running"; cat "$W/out"; fails=$((fails + 1)); fi
check 0 "list --json" "$T" list --json
has "$W/out" '"name":"tk","state":"running","cpus":1,"memory":67108864,"cpu_percent":' "list --json"
check 0 "info" "$T" info tk
has "$W/out" "state      running" "info: state"
has "$W/out" "kernel     $K" "info: kernel"
check 0 "info --json" "$T" info --json tk
has "$W/out" '"append":"tk.test=report"' "info --json: the definition"
check 0 "pause" "$T" pause tk
check 0 "status, paused" "$T" status tk
has "$W/out" "state    paused" "status says paused"
check 3 "pause twice" "$T" pause tk
check 0 "resume" "$T" resume tk
check 3 "resume twice" "$T" resume tk
check 0 "reset" "$T" reset tk
# The second boot may finish before a new `expect --new` connects (the test
# kernel reports within milliseconds of the reset): count the boots in the
# output the VM holds instead, until there are two or $BOOT seconds pass.
boots=0
i=0
while [ "$i" -lt "$BOOT" ]; do
	boots=$("$T" console --ro --replay --timeout 1 tk </dev/null 2>/dev/null |
		grep -c "testkernel: boot=")
	[ "$boots" -ge 2 ] && break
	i=$((i + 1))
done
if [ "$boots" -ge 2 ]; then
	echo "ok: the second boot's report"
else
	echo "FAIL: the second boot's report: $boots boot lines after the reset"
	fails=$((fails + 1))
fi
check 0 "status counts the reset" "$T" status tk
has "$W/out" "resets   1" "status: resets 1"

# --- what a running VM refuses ------------------------------------------------------
check 3 "delete a running VM" "$T" delete --yes tk
check 3 "clone a running VM" "$T" clone tk tk-copy
check 3 "rename a running VM" "$T" rename tk tk3
check 0 "edit a running VM" env EDITOR="sed -i 's/^append = .*/append = tk.test=report,poweroff/'" "$T" edit tk
has "$W/out" "it runs on as it was started" "edit says it applies at the next start"

# --- stop ------------------------------------------------------------------------------
check 4 "stop: this guest ignores the power button" "$T" stop --timeout 3 tk
check 0 "stop --force" "$T" stop --force tk
has "$W/out" "tk: stopped" "stop --force says so"
check 2 "status after stop" "$T" status tk
check 0 "list after stop" "$T" list
if grep -qE '^tk +stopped ' "$W/out"; then echo "ok: list: tk stopped again"
else echo "FAIL: list after stop"; cat "$W/out"; fails=$((fails + 1)); fi

# the edited definition: now the guest powers off by itself
check 0 "start tk, edited" "$T" start tk
# until the VM process is gone: its socket first, then (exit status
# written) its pid file; in between, info says "starting (or just ending)"
for i in $(seq 1 $((BOOT * 10))); do
	if ! "$T" status tk >/dev/null 2>&1 &&
		! "$T" info tk 2>/dev/null | grep -qE '^state +starting'; then
		break
	fi
	sleep 0.1
done
check 2 "a guest that powered off is not running" "$T" status tk
check 0 "info after power-off" "$T" info tk
has "$W/out" "last exit  0" "info: it exited 0"
check 0 "run the definition in the foreground" "$T" run tk --append tk.test=report,poweroff,fg
has "$W/out" "cmdline: tk.test=report,poweroff,fg" "run NAME: options go on top"
check 1 "run a VM that does not exist" "$T" run nosuchvm

# --- edit, clone, rename, delete --------------------------------------------------------
cp "$TTYVM_HOME/config/vms/tk.ini" "$W/before.ini"
check 1 "edit to something wrong is refused" env EDITOR="sed -i 's/^memory = .*/memory = 1K/'" "$T" edit tk
has "$W/err" "[vm] memory = 1K: out of range" "edit names the key"
has "$W/err" "your edit is kept in" "edit keeps the copy"
if cmp -s "$W/before.ini" "$TTYVM_HOME/config/vms/tk.ini"; then echo "ok: the definition is unchanged"
else echo "FAIL: a failed edit changed the definition"; fails=$((fails + 1)); fi
if ls "$TTYVM_HOME"/config/vms/.tk.edit-*.ini >/dev/null 2>&1; then echo "ok: the edited copy is there"
else echo "FAIL: the edited copy is gone"; fails=$((fails + 1)); fi
check 0 "edit with no change" env EDITOR=true "$T" edit tk
has "$W/out" "no changes" "edit: no changes"
check 0 "clone" "$T" clone tk tk-copy
check 0 "rename the clone" "$T" rename tk-copy tk3
check 1 "delete without --yes and no terminal" "$T" delete tk3
has "$W/err" "not deleting without --yes" "delete says why"
check 0 "delete --yes" "$T" delete --yes tk3
check 1 "info of a deleted VM" "$T" info tk3

# --- create with disks --------------------------------------------------------------------
dd if=/dev/zero of="$W/install.iso" bs=1k count=64 2>/dev/null
check 0 "create from an ISO with a new disk" "$T" create inst --iso "$W/install.iso" --disk-size 1G --memory 64M
has "$W/out" "inst: new disk $TTYVM_HOME/data/inst/disk0.qcow2" "create names the new disk (qcow2 by default)"
check 0 "disk info --json on the new disk" "$T" disk info --json "$TTYVM_HOME/data/inst/disk0.qcow2"
has "$W/out" '"format":"qcow2","virtual_size":1073741824' "a 1 GiB qcow2 disk"
check 0 "info shows disk and CD-ROM" "$T" info inst
has "$W/out" "disk0      $TTYVM_HOME/data/inst/disk0.qcow2 (virtio, qcow2)" "info: the disk"
has "$W/out" "cdrom      $W/install.iso" "info: the ISO"
check 0 "create with a raw disk" "$T" create rawvm --kernel "$K" --disk-size 16M --disk-format raw --memory 64M
if [ "$(stat -c %s "$TTYVM_HOME/data/rawvm/disk0.img")" = 16777216 ]; then echo "ok: a 16 MiB raw disk on request"
else echo "FAIL: the raw disk"; fails=$((fails + 1)); fi
check 0 "delete the raw one" "$T" delete --yes --disks rawvm
check 0 "disk convert to raw" "$T" disk convert "$TTYVM_HOME/data/inst/disk0.qcow2" "$W/conv.raw" --format raw
if [ "$(stat -c %s "$W/conv.raw")" = 1073741824 ] && [ "$(stat -c %b "$W/conv.raw")" -lt 100 ]; then echo "ok: a sparse 1 GiB raw copy"
else echo "FAIL: the converted copy"; fails=$((fails + 1)); fi
check 1 "convert refuses an existing file" "$T" disk convert "$TTYVM_HOME/data/inst/disk0.qcow2" "$W/conv.raw"
has "$W/err" "already exists" "convert says why"
check 0 "create from an existing image" "$T" create off --disk "$TTYVM_HOME/data/inst/disk0.qcow2,if=ahci" --memory 64M
check 0 "delete --disks" "$T" delete --yes --disks inst
if [ ! -e "$TTYVM_HOME/data/inst" ]; then echo "ok: the data directory is gone"
else echo "FAIL: delete --disks left the data directory"; fails=$((fails + 1)); fi
check 0 "delete keeps other files" "$T" delete --yes off
[ -f "$W/install.iso" ] && echo "ok: the ISO is still there" || { echo "FAIL: the ISO"; fails=$((fails + 1)); }

echo "headless: $fails failed"
[ "$fails" = 0 ]

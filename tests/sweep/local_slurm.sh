#!/usr/bin/env bash
# A throwaway one-node Slurm cluster on localhost, kept entirely inside one folder.
#
#   tests/sweep/local_slurm.sh start DIR   start munged, slurmctld and slurmd under DIR
#   tests/sweep/local_slurm.sh stop DIR    stop exactly what `start DIR` started
#
# Sourcing this file only defines slurm_start DIR and slurm_stop DIR, so a test can
#   source tests/sweep/local_slurm.sh; slurm_start "$dir"; trap 'slurm_stop "$dir"' EXIT
#   source "$dir/env"    # exports SLURM_CONF; every Slurm command needs it
# Needs Debian's slurm-wlm and munge packages. Runs as root or as an ordinary user: the
# daemons and the jobs all run as the user who calls it. See tests/sweep/README.md.


_local_slurm_say() { printf 'local_slurm: %s\n' "$*" >&2; }

# A TCP port in 20000-60000 that nothing listens on now (the daemons bind it seconds later).
_local_slurm_free_port() {
    local avoid="${1:-}" port tries listening
    for ((tries = 0; tries < 50; tries++)); do
        port=$((20000 + RANDOM % 40001))
        [[ "$port" == "$avoid" ]] && continue
        if command -v ss >/dev/null 2>&1; then
            listening=$(ss -Htln "sport = :$port" 2>/dev/null)
        else
            # /proc/net/tcp lists local ports in hex; state 0A is LISTEN.
            listening=$(awk -v p="$(printf '%04X' "$port")" \
                '$4 == "0A" && $2 ~ (":" p "$")' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
        fi
        if [[ -z "$listening" ]]; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# True if PID runs (a zombie has exited already: it lingers while its parent, possibly pid 1,
# has not reaped it).
_local_slurm_alive() {
    local stat
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != [ZX] ]]
}

# True if PID runs and is the program NAME (its /proc comm), so a reused pid is never killed.
_local_slurm_is() {
    local comm
    _local_slurm_alive "$1" || return 1
    comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
    [[ "$comm" == "$2" ]]
}

# The slurmstepd processes of this cluster and everything below them (the jobs). slurmd hands
# its SLURM_CONF to slurmstepd, which outlives slurmd by design; that exact path marks ours.
_local_slurm_job_pids() {
    local dir="$1" p pid ppid rest
    local -a found=()
    local -A parent=()
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so cut after ")".
        rest=$(cat "$p/stat" 2>/dev/null) || continue
        rest=${rest##*) }
        read -r _ ppid _ <<<"$rest"
        parent[$pid]=$ppid
        _local_slurm_is "$pid" slurmstepd || continue
        tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$dir/etc/slurm.conf" &&
            found+=("$pid")
    done
    ((${#found[@]})) || return 0
    local -A mine=()
    for pid in "${found[@]}"; do mine[$pid]=1; done
    local grew=1
    while ((grew)); do
        grew=0
        for pid in "${!parent[@]}"; do
            if [[ -z "${mine[$pid]:-}" && -n "${mine[${parent[$pid]}]:-}" ]]; then
                mine[$pid]=1
                grew=1
            fi
        done
    done
    echo "${!mine[@]}"
}

# In -D mode a daemon copies its log to stderr, and stderr also holds what it says before it
# opens its log (a bad slurm.conf), so stderr is the one to show; the log file only as fallback.
_local_slurm_dump_logs() {
    local dir="$1" d f
    for d in munged slurmctld slurmd; do
        f="$dir/log/$d.stderr"
        [[ -s "$f" ]] || f="$dir/log/$d.log"
        [[ -s "$f" ]] || continue
        printf -- '----- last 30 lines of %s -----\n' "$f" >&2
        tail -n 30 "$f" >&2
    done
}

# Print the error, the daemons' logs, stop what was started, and fail.
_local_slurm_abort() {
    local dir="$1"
    shift
    _local_slurm_dump_logs "$dir"
    slurm_stop "$dir" >&2
    _local_slurm_say "start failed: $*"
    return 1
}

# Wait up to SECONDS for COMMAND... to succeed, checking every half second that the daemon PID
# still runs; returns 2 if it died, 1 on timeout. (Liveness only: until the forked shell has
# exec'd the daemon, its comm is still "bash".)
_local_slurm_wait() {
    local seconds="$1" pid="$2" deadline
    shift 2
    deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        "$@" >/dev/null 2>&1 && return 0
        _local_slurm_alive "$pid" || return 2
        sleep 0.5
    done
    "$@" >/dev/null 2>&1 && return 0
    return 1
}

_local_slurm_munge_ok() {
    timeout 5 munge -n -S "$1" | timeout 5 unmunge -S "$1"
}

_local_slurm_node_idle() {
    [[ "$(timeout 10 sinfo -h -o %T 2>/dev/null)" == "idle" ]]
}

_local_slurm_write_conf() {
    local dir="$1" host="$2" ctld_port="$3" slurmd_port="$4" user cpus
    user=$(id -un)
    cpus=$(nproc)
    cat >"$dir/etc/slurm.conf" <<EOF
# Written by tests/sweep/local_slurm.sh: a one-node cluster on localhost, all state in $dir.
ClusterName=gramtape-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/etc/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MessageTimeout=10
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$dir/etc/plugstack.conf"
}

slurm_start() {
    local dir="${1:-}" prog pid host ctld_port slurmd_port rc t0 name
    if [[ -z "$dir" ]]; then
        _local_slurm_say "usage: slurm_start DIR"
        return 2
    fi
    for prog in munged munge unmunge slurmctld slurmd sinfo scontrol squeue scancel timeout; do
        if ! command -v "$prog" >/dev/null 2>&1; then
            _local_slurm_say "start failed: '$prog' is not on PATH (Debian packages slurm-wlm and munge provide it)"
            return 1
        fi
    done
    mkdir -p "$dir" || { _local_slurm_say "start failed: cannot create $dir"; return 1; }
    dir=$(cd "$dir" && pwd -P) || return 1
    if [[ "$dir" =~ [[:space:]#] ]]; then
        _local_slurm_say "start failed: slurm.conf cannot hold the path '$dir' (it has a space or '#')"
        return 1
    fi
    if [[ -f "$dir/pids" ]]; then
        while read -r name pid; do
            if _local_slurm_is "$pid" "$name"; then
                _local_slurm_say "start failed: $dir already has a running cluster ($name pid $pid); run 'stop $dir' first"
                return 1
            fi
        done <"$dir/pids"
    fi
    t0=$SECONDS
    # munged refuses key, socket and log folders that others can write to.
    if ! mkdir -p "$dir"/{etc,spool,state,log,run} ||
        ! chmod 0755 "$dir" "$dir"/{etc,spool,state,log,run}; then
        _local_slurm_say "start failed: cannot create the folders under $dir"
        return 1
    fi
    : >"$dir/pids"
    rm -f "$dir/env" "$dir/run/munge.socket" "$dir/run/munge.socket.lock"

    # munge: a fresh key and a private daemon, so the system's /run/munge is never used.
    rm -f "$dir/etc/munge.key"
    if ! dd if=/dev/urandom of="$dir/etc/munge.key" bs=1024 count=1 status=none ||
        ! chmod 0400 "$dir/etc/munge.key"; then
        _local_slurm_abort "$dir" "cannot write the munge key $dir/etc/munge.key"
        return 1
    fi
    munged -F --socket="$dir/run/munge.socket" \
        --key-file="$dir/etc/munge.key" --pid-file="$dir/run/munged.pid" \
        --log-file="$dir/log/munged.log" --seed-file="$dir/state/munged.seed" \
        </dev/null >"$dir/log/munged.stderr" 2>&1 &
    pid=$!
    disown "$pid" 2>/dev/null || : # so a test's bare `wait` does not wait for the daemons
    echo "munged $pid" >>"$dir/pids"
    rc=0
    _local_slurm_wait 15 "$pid" _local_slurm_munge_ok "$dir/run/munge.socket" || rc=$?
    if ((rc != 0)); then
        _local_slurm_abort "$dir" "munged (pid $pid) $([[ $rc == 2 ]] && echo exited || echo 'did not answer on its socket within 15 s')"
        return 1
    fi

    host=$(hostname -s 2>/dev/null)
    [[ -n "$host" ]] || host=localhost
    if ! ctld_port=$(_local_slurm_free_port) ||
        ! slurmd_port=$(_local_slurm_free_port "$ctld_port"); then
        _local_slurm_abort "$dir" "found no free TCP port in 20000-60000"
        return 1
    fi
    _local_slurm_write_conf "$dir" "$host" "$ctld_port" "$slurmd_port" ||
        { _local_slurm_abort "$dir" "cannot write $dir/etc/slurm.conf"; return 1; }

    # Each daemon runs in the foreground (-D) as our own background child, so $! is its pid.
    local -x SLURM_CONF="$dir/etc/slurm.conf"
    slurmctld -D -f "$SLURM_CONF" \
        </dev/null >"$dir/log/slurmctld.stderr" 2>&1 &
    pid=$!
    disown "$pid" 2>/dev/null || :
    echo "slurmctld $pid" >>"$dir/pids"
    rc=0
    _local_slurm_wait 30 "$pid" timeout 10 scontrol ping || rc=$?
    if ((rc != 0)); then
        _local_slurm_abort "$dir" "slurmctld (pid $pid) $([[ $rc == 2 ]] && echo exited || echo 'did not answer scontrol ping within 30 s')"
        return 1
    fi

    slurmd -D -f "$SLURM_CONF" -N "$host" \
        </dev/null >"$dir/log/slurmd.stderr" 2>&1 &
    pid=$!
    disown "$pid" 2>/dev/null || :
    echo "slurmd $pid" >>"$dir/pids"
    rc=0
    _local_slurm_wait 60 "$pid" _local_slurm_node_idle || rc=$?
    if ((rc != 0)); then
        _local_slurm_abort "$dir" "$( ((rc == 2)) && echo "slurmd (pid $pid) exited" ||
            echo "slurmd (pid $pid) runs but node $host is not idle after 60 s"); sinfo says '$(timeout 10 sinfo -h -o %T 2>/dev/null)'"
        return 1
    fi

    printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" >"$dir/env"
    _local_slurm_say "cluster up in $((SECONDS - t0)) s: node $host idle, ports $ctld_port/$slurmd_port; source $dir/env"
    return 0
}

slurm_stop() {
    local dir="${1:-}" name pid deadline left stepds i jobs
    local -a names=() pids=()
    if [[ -z "$dir" ]]; then
        _local_slurm_say "usage: slurm_stop DIR"
        return 2
    fi
    if [[ ! -f "$dir/pids" ]]; then
        return 0
    fi
    dir=$(cd "$dir" && pwd -P) || return 1
    while read -r name pid; do
        [[ -n "$name" ]] || continue
        names+=("$name")
        pids+=("$pid")
    done <"$dir/pids"

    # Cancel jobs while the controller still runs, so no job outlives the cluster.
    for ((i = 0; i < ${#names[@]}; i++)); do
        if [[ "${names[i]}" == slurmctld ]] && _local_slurm_is "${pids[i]}" slurmctld; then
            jobs=$(SLURM_CONF="$dir/etc/slurm.conf" timeout 15 squeue -h -o %A -t PD,R,CG,S 2>/dev/null)
            if [[ -n "$jobs" ]]; then
                # shellcheck disable=SC2086  # one argument per job id
                SLURM_CONF="$dir/etc/slurm.conf" timeout 15 scancel $jobs 2>/dev/null
                deadline=$((SECONDS + 10))
                while ((SECONDS < deadline)) &&
                    [[ -n "$(SLURM_CONF="$dir/etc/slurm.conf" timeout 5 squeue -h -o %A -t R,CG 2>/dev/null)" ]]; do
                    sleep 0.5
                done
            fi
        fi
    done

    # TERM in reverse start order (slurmd, slurmctld, munged), then KILL what is left after 10 s.
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do
        if _local_slurm_is "${pids[i]}" "${names[i]}"; then
            kill -TERM "${pids[i]}" 2>/dev/null
        fi
    done
    deadline=$((SECONDS + 10))
    while :; do
        left=0
        for ((i = 0; i < ${#names[@]}; i++)); do
            _local_slurm_is "${pids[i]}" "${names[i]}" && left=1
        done
        ((left == 0 || SECONDS >= deadline)) && break
        sleep 0.2
    done
    for ((i = 0; i < ${#names[@]}; i++)); do
        if _local_slurm_is "${pids[i]}" "${names[i]}"; then
            _local_slurm_say "${names[i]} (pid ${pids[i]}) ignored TERM for 10 s; sending KILL"
            kill -KILL "${pids[i]}" 2>/dev/null
        fi
    done
    # Only if scancel could not run (controller already gone): job steps left behind.
    stepds=$(_local_slurm_job_pids "$dir")
    if [[ -n "$stepds" ]]; then
        _local_slurm_say "killing job processes left by this cluster: $stepds"
        # shellcheck disable=SC2086  # one argument per pid
        kill -KILL $stepds 2>/dev/null
    fi
    rm -f "$dir/pids" "$dir/env"
    return 0
}

# Run as a program: `local_slurm.sh start DIR` / `local_slurm.sh stop DIR`.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
    start) [[ $# == 2 ]] && { slurm_start "$2"; exit; } ;;
    stop) [[ $# == 2 ]] && { slurm_stop "$2"; exit; } ;;
    esac
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
fi

#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the `slurm` tests and for trying `runs --cluster slurm`.
#
#   bash tests/slurm/cluster.sh install    # Debian's slurm-wlm, munge, libpmix-dev (apt-get; root)
#   bash tests/slurm/cluster.sh up DIR     # munged, slurmctld and slurmd with state, spool and logs in DIR
#   bash tests/slurm/cluster.sh down DIR   # cancel every job, stop the daemons: no process is left behind
#
# After `up`, `source DIR/env` sets SLURM_CONF (the commands sbatch, squeue, scontrol then find the cluster).
# No systemd: the daemons are started directly, as root, with proctrack/linuxproc and task/none
# (../shared/docs/DESIGN.md, "Slurm", has what was measured of such a cluster).
set -euo pipefail

install() {
    if command -v slurmctld >/dev/null && command -v munged >/dev/null && dpkg -s libpmix-dev >/dev/null 2>&1; then
        return 0
    fi
    [ "$(id -u)" = 0 ] || { echo "cluster.sh install: needs root for apt-get" >&2; exit 1; }
    # Debian's package scripts would start the daemons through the init system: refuse that while installing
    local policy=/usr/sbin/policy-rc.d had_policy=0
    [ -e "$policy" ] && had_policy=1
    [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge libpmix-dev >/dev/null
    [ "$had_policy" = 1 ] || rm -f "$policy"
    # the packages' own daemons, if anything started them anyway
    pkill -x slurmctld || true; pkill -x slurmd || true; pkill -x munged || true
}

up() {
    local dir; dir=$(realpath -m "$1")
    mkdir -p "$dir"/{munge,state,spool,log,run}
    chmod 755 "$dir"
    if ! setpriv --reuid=munge --regid=munge --init-groups test -x "$dir"; then
        echo "cluster.sh up: the munge user cannot reach $dir (a folder above it is private); use one under /tmp" >&2
        exit 1
    fi
    chown munge: "$dir/munge" && chmod 700 "$dir/munge"
    [ -f "$dir/munge/munge.key" ] || { head -c 1024 /dev/urandom > "$dir/munge/munge.key"; }
    chown munge: "$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
    local socket="$dir/munge/munge.socket"
    setpriv --reuid=munge --regid=munge --init-groups \
        munged --key-file="$dir/munge/munge.key" --socket="$socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" \
        --force
    local node; node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
    local name; name=$(hostname -s)
    cat > "$dir/slurm.conf" <<CONF
ClusterName=lstmxor
SlurmctldHost=$name
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$((6817 + RANDOM % 1000 * 2))
SlurmdPort=$((6818 + RANDOM % 1000 * 2))
$node State=UNKNOWN
PartitionName=debug Nodes=$name Default=YES MaxTime=INFINITE State=UP
CONF
    printf 'export SLURM_CONF=%s\n' "$dir/slurm.conf" > "$dir/env"
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -c -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    for _ in $(seq 100); do
        if sinfo -h -o %T 2>/dev/null | grep -qx idle; then echo "slurm up: source $dir/env"; return 0; fi
        sleep 0.2
    done
    echo "cluster.sh up: the node did not become idle in 20 s; logs in $dir/log" >&2
    sinfo >&2 || true
    exit 1
}

down() {
    local dir; dir=$(realpath -m "$1")
    export SLURM_CONF="$dir/slurm.conf"
    if [ -f "$SLURM_CONF" ]; then
        scancel --full --quiet --user=root 2>/dev/null || true
        sleep 0.5
        scontrol shutdown 2>/dev/null || true
    fi
    stop_pidfile "$dir/run/slurmd.pid" slurmd
    stop_pidfile "$dir/run/slurmctld.pid" slurmctld
    # a slurmstepd stuck on a step ignores SIGTERM (DESIGN.md, "Slurm")
    pkill -KILL -f "slurmstepd.*$dir" 2>/dev/null || true
    stop_pidfile "$dir/munge/munged.pid" munged
}

stop_pidfile() {  # FILE NAME: TERM, then KILL after 5 s, the daemon whose pid FILE holds
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "cluster.sh down: $2 ($pid) ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
    install) install ;;
    up) [ $# = 2 ] || { echo "usage: $0 up DIR" >&2; exit 2; }; install; up "$2" ;;
    down) [ $# = 2 ] || { echo "usage: $0 down DIR" >&2; exit 2; }; down "$2" ;;
    *) echo "usage: $0 install | up DIR | down DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A sweep on a real Slurm: starts a one-node cluster on localhost (local_slurm.sh), runs fig2 smoke ×
# 2 learning rates × 3 seeds through `gramtape sweep --engine slurm` (one sbatch array + an afterany
# report job), cancels one task while it runs, resumes the sweep, and checks that the merged metrics
# equal those of the same sweep on the local engine byte for byte. Also: sbatch refusing a job shows
# its message and records nothing. Every daemon it started is stopped by pid, on success and failure.
# Usage: test_slurm_sweep.sh GRAMTAPE DATA_DIR
set -euo pipefail
gramtape="$1"
data="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=local_slurm.sh
source "$here/local_slurm.sh"
work="$(mktemp -d)"
chmod 755 "$work"  # munged wants every folder above its socket searchable by all
cleanup() { slurm_stop "$work/cluster" || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "[slurm-sweep] $*"; }

slurm_start "$work/cluster" || fail "the Slurm daemons did not start (their logs are above)"
# shellcheck disable=SC1091
source "$work/cluster/env"

sweep=(fig2 --preset smoke --epochs 6 --grid lr=0.01,0.05 --seeds 0-2 --threads 1 --data-dir "$data")
job_ids() {  # "ARRAY MERGE" of the newest submission
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["submissions"][-1]; print(s["job_id"], s["merge_job_id"])' "$1/sweep.json"
}
wait_jobs() {  # until squeue lists none of the given jobs (bounded: 300 s)
  local ids; ids="$(echo "$*" | tr ' ' ',')"
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  squeue -j "$ids" -t all; fail "jobs $ids did not end within 300 s"
}

say "submitting 6 tasks through sbatch"
out="$("$gramtape" sweep "${sweep[@]}" --engine slurm --jobs 2 --out "$work/slurm")" || fail "sweep --engine slurm: $out"
echo "$out"
read -r array merge < <(job_ids "$work/slurm")
[ -n "$array" ] && [ -n "$merge" ] || fail "no array or report job id recorded in sweep.json"

# Cancel the first task Slurm runs, while it runs.
victim=""
for _ in $(seq 240); do
  victim="$(squeue -h -r -j "$array" -t RUNNING -o %K 2>/dev/null | head -1)"
  [ -n "$victim" ] && break
  sleep 0.25
done
[ -n "$victim" ] || fail "no task of array $array started within 60 s"
sleep 1
scancel "${array}_${victim}"
say "cancelled task $victim (job ${array}_${victim})"
wait_jobs "$array" "$merge"

status="$("$gramtape" sweep status "$work/slurm")"
echo "$status"
echo "$status" | grep -q "6 tasks: 5 done, 0 running, 1 failed, 0 pending" || fail "expected 5 done and 1 failed after the cancel"
name="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tasks"][int(sys.argv[2])]["name"])' "$work/slurm/sweep.json" "$victim")"
echo "$status" | grep -E "^$name +failed +killed by signal 15" >/dev/null || fail "the cancelled task $name is not reported as killed by signal 15"
grep -q "report of 5 finished tasks (1 not finished)" "$work/slurm/logs/merge.log" || fail "the report job did not merge: $(cat "$work/slurm/logs/merge.log")"

say "resuming: only the cancelled task goes to Slurm"
out="$("$gramtape" sweep "${sweep[@]}" --engine slurm --jobs 2 --out "$work/slurm")" || fail "resume: $out"
echo "$out"
echo "$out" | grep -q "1 to run on the slurm engine" || fail "the resumed sweep should submit exactly the one unfinished task"
read -r array2 merge2 < <(job_ids "$work/slurm")
[ "$array2" != "$array" ] || fail "the resume recorded no new submission"
wait_jobs "$array2" "$merge2"
"$gramtape" sweep status "$work/slurm" | grep -q "6 tasks: 6 done" || fail "not every task is done after the resume"
grep -q "report of 6 finished tasks (0 not finished)" "$work/slurm/logs/merge.log" || fail "the second report job did not merge all 6"

say "the same sweep on the local engine"
"$gramtape" sweep "${sweep[@]}" --engine local --jobs 2 --out "$work/local" > "$work/local.out" || fail "local sweep: $(cat "$work/local.out")"
cmp "$work/slurm/merged/metrics.csv" "$work/local/merged/metrics.csv" || fail "merged metrics differ between the slurm and local engines"
cmp "$work/slurm/merged/settings.json" "$work/local/merged/settings.json" || fail "merged settings differ between the slurm and local engines"
say "merged metrics identical ($(wc -l < "$work/local/merged/metrics.csv") lines)"

say "sbatch refusing the job"
set +e
err="$("$gramtape" sweep fig2 --preset smoke --grid lr=0.01 --data-dir "$data" --engine slurm \
  --slurm-args "--partition=nosuch" --out "$work/refused" 2>&1)"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a refused submission should exit 2, got $rc: $err"
echo "$err" | grep -q "sbatch refused the task array" || fail "no 'sbatch refused' message: $err"
echo "$err" | grep -qi "partition" || fail "sbatch's own message is not shown: $err"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["submissions"] == []' "$work/refused/sweep.json" \
  || fail "a refused submission was recorded"
say "PASS"

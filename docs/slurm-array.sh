#!/usr/bin/env bash
# Tokenize a corpus with 64 shards as a Slurm job array, at most 16 at once,
# then finalize once every task succeeded. Submit with:
#   sbatch docs/slurm-array.sh /shared/corpus /shared/out
# Each task reads SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) as its
# shard and SLURM_ARRAY_TASK_COUNT as the shard count. Requeued or rerun
# tasks skip finished shards. Keep the array size fixed across reruns.
#SBATCH --job-name=tokenize
#SBATCH --array=0-63%16
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=logs/tokenize-%A_%a.log
set -euo pipefail
in=${1:?usage: sbatch slurm-array.sh INPUT_DIR OUTPUT_DIR}
out=${2:?usage: sbatch slurm-array.sh INPUT_DIR OUTPUT_DIR}

srun tokenize run "$in" -o "$out" --format arrow-stream --eos --workers "$SLURM_CPUS_PER_TASK"

# The last task to finish submits nothing; run finalize as a dependent job:
#   sbatch --dependency=afterok:$ARRAY_JOB_ID --wrap "tokenize finalize $out --layout hf"
# (or run it by hand: it refuses, naming the missing shards, until all are done).

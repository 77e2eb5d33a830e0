#!/bin/bash
{% import "slurm/sbatch.sh" as header %}
# One Slurm job array that grades the class in {{ submissions }}: task K of {{ tasks }} grades notebooks
# K, K+{{ tasks }}, K+{{ 2 * tasks }}, ... of the class in sorted order (the rule of SHARD=K/{{ tasks }}) into
# {{ shards }}/shard-K.
# Written by `python -m grader slurm`; submitted again (or requeued), a task keeps what it had finished.
{{ header.sbatch(job_name, time, cpus, mem, log, partition, extra, array="1-%d" % tasks) -}}
set -euo pipefail
# one BLAS thread per process: the task's CPUs grade that many notebooks side by side (--jobs)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg
cd {{ project|sh }}
shard={{ shards|sh }}/shard-"$SLURM_ARRAY_TASK_ID"
# grade-batch writes shard.json when the share is done, and the merge job takes only shares that have one:
# a requeued task must not leave the one of an earlier run behind
rm -f "$shard/shard.json"
exec {{ python|sh }} -m grader grade-batch {{ submissions|sh }} --out "$shard" \
    --shard "$SLURM_ARRAY_TASK_ID/{{ tasks }}" --jobs "${SLURM_CPUS_PER_TASK:-{{ cpus }}}"{% for option in grade_options %} {{ option|sh }}{% endfor %}


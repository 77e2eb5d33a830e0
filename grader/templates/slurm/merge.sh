#!/bin/bash
{% import "slurm/sbatch.sh" as header %}
# Merges the shares that the job array $1 graded into {{ out }}: one gradebook, the LMS files, the class
# report. The students of a task that did not finish are listed as missing, with why.
# Written by `python -m grader slurm`, submitted as: sbatch --dependency=afterany:ARRAY_JOB merge.sh ARRAY_JOB
{{ header.sbatch(job_name + "-merge", time, 1, merge_mem, merge_log, partition, extra) -}}
set -euo pipefail
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg
cd {{ project|sh }}
exec {{ python|sh }} -m grader slurm-merge {{ out|sh }} --tasks {{ tasks }} --array-job "$1"{% for option in merge_options %} {{ option|sh }}{% endfor %}


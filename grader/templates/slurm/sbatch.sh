{#- The #SBATCH lines of both job scripts. Values are checked by grader.classroom.slurm.SlurmOptions:
    sbatch reads these lines itself (no shell), so nothing here is shell-quoted. -#}
{% macro sbatch(job_name, time, cpus, mem, log, partition, extra, array=None) %}
#SBATCH --job-name={{ job_name }}
{% if array %}
#SBATCH --array={{ array }}
{% endif %}
{% if partition %}
#SBATCH --partition={{ partition }}
{% endif %}
#SBATCH --time={{ time }}
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={{ cpus }}
#SBATCH --mem={{ mem }}
#SBATCH --output={{ log }}
#SBATCH --open-mode=append
#SBATCH --requeue
{% for line in extra %}
#SBATCH {{ line }}
{% endfor %}
{% endmacro %}

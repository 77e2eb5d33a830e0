"""What a student downloads: the notebook, the self-check and its files (selfcheck_files.SHIPPED_FILES).

A package in the project only, so that the grader can use the self-check's one array-comparison
rule (``from student_template.arraycheck import check_array``) and its notebook runner; it is not
shipped, and nothing in it imports the rest of the project.
"""

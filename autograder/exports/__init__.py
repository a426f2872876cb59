"""What the grader's output folder becomes for other systems: a Canvas gradebook CSV
(:mod:`.canvas`) and each student's written answers as a page for manual grading
(:mod:`.answers`). Every module here only reads submissions and results; nothing runs student code.
"""

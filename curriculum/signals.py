from django.dispatch import Signal

# Sent once when a learner has finished every required lesson of a course, with
# user, course (the CoursePage) and enrolment. The credentials award on it.
course_completed = Signal()

# Sent when a quiz attempt is submitted and marked, with user and attempt (score, passed).
quiz_submitted = Signal()

from django.dispatch import Signal

# Sent once when a learner has finished every required lesson of a course, with
# user, course (the CoursePage) and enrolment. The credentials award on it.
course_completed = Signal()

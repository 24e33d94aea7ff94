from django.dispatch import Signal

# Sent by the apps that count contributions (case studies, the knowledge base) when a learner's
# count changes, with user and kind (a CredentialRule.Kind value, e.g. "case_studies"): the
# credentials whose rules count that kind are evaluated for the user.
contribution_recorded = Signal()

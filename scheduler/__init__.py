"""Check-in waves on a timer (issue 7).

  waves.py           content/waves.yaml: when waves fall due, relative to her milestones (validated)
  plan.py            pure: milestones + wave configuration -> planned wave instances
  milestones.py      programme milestones: validation, CSV import, saving (audited)
  jobs.py            plan / open due / remind / close, each a conditional UPDATE on wave_instances
  runner.py          APScheduler drives jobs.run_once (misfire and coalesce chosen on purpose)
  safety_jobs.py     expiry, retention, route re-checks, requested erasures, overdue escalations
  cli.py             `liaison programme set|import`, `liaison waves tick|status`

Answering a check-in and following its opening to her phone is the service's work: bot/waves/.
The evaluation (export, report) is its own package: evaluation/. The questionnaires, which the check-in
flow asks, are content the flows read: flows/questionnaires.py.
"""

"""Check-in waves and evaluation (issue 7).

  waves.py           content/waves.yaml: when waves fall due, relative to her milestones (validated)
  questionnaires.py  content/<locale>/questionnaire_*.yaml: items, scales, codes, texts (validated)
  plan.py            pure: milestones + wave configuration -> planned wave instances
  milestones.py      programme milestones: validation, CSV import, saving (audited)
  jobs.py            plan / open due / remind / close, each a conditional UPDATE on wave_instances
  runner.py          APScheduler drives jobs.run_once (misfire and coalesce chosen on purpose)
  checkin_io.py      the check-in flow (flows/checkin.py) against the database; rendering
  evaluation/        consented, pseudonymised data: export (CSV + codebook) and report (HTML + PNG):
                     data (selection), figures (paired and cross-sectional), stats, charts, report
  cli.py             `liaison programme set|import`, `liaison eval export|report`, `liaison waves`
"""

"""Her check-in waves as the running service meets them: answering one (checkin_io.py) and whether its
opening reached her (delivery.py). The scheduler (scheduler/jobs.py) plans, opens and closes them."""

"""Staff accounts for the console: enrolment, passwords and TOTP, sessions, the sign-in slowdown and the
`liaison staff` commands (on-call alerts are her bot's: bot/oncall/)."""

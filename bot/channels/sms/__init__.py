"""The SMS channel over Twilio: `channel` sends, deletes and renders (numbered replies instead of
buttons); `webhook` takes her messages and Twilio's delivery callbacks, signature-checked."""

"""Sample texts the moderation tests share."""

NIR_TEXT = "Mon numéro de sécurité sociale est le 1 85 05 78 006 084 91, rappelez-moi."
PHONE_TEXT = "Appelez-moi au 06 12 34 56 78 pour en parler."

"""Alerts and notifications: alert rules and their triggers, the delivery outbox, signed webhooks,
e-mail over SMTP, in-app notifications and the consent check for customer follow-ups.

- `rules`      the triggers, rule validation and the default rules
- `triggers`   pure decisions: which rows fire which alert
- `outbox`     recording alerts, notifications and deliveries in the caller's transaction
- `dispatch`   sending due deliveries outside any transaction, retries, dead letters
- `transport`  HMAC-signed webhooks (generic or Slack) and SMTP
- `consent`    `customer_may_be_contacted`
"""

from __future__ import annotations

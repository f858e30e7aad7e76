"""The shapes of what comes in and goes out: request bodies and answers, one module per
feature, used by the JSON API (``app.api``), the pages (``app.web``) and the import of a
tablet's outbox file alike. A rating is read by one model, ``ratings.RatingIn``, whether
it arrives as JSON or as a form posted without JavaScript."""

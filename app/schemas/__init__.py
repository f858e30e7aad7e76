"""The shapes of what comes in and goes out: request bodies and answers, one module per
feature, used by the JSON API (``app.api``), the pages (``app.web``) and the import of a
tablet's outbox file (``app.services.outbox_import``) alike. A rating is read by one
model, ``ratings.RatingIn``, whether it arrives as JSON, as an entry of an outbox file or
as a form posted without JavaScript.

Shapes only: they know the input rules' limits (``app.scales.rules``) and the tables'
enums, never a service, so every layer above the models may use them. The API's modules
fill the answers from what the services return."""

"""The reviewers' web app (`winback serve`): review by variant in a browser.

Server-rendered pages (Starlette + Jinja2 with autoescaping, plain HTML forms,
one CSS file, no JavaScript at all) on the same store as the CLI. Modules:

- `app`        builds the ASGI app: routes, static files, error pages, headers
- `auth`       the signed session cookie, login-required pages, roles, CSRF
- `security`   security headers (a CSP that allows no script at all)
- `pages`      the Jinja2 environment and the findings highlighter
- `errors`     `PageError`: a message, a fix and an HTTP status for the page
- `lift_chart` arm rates with confidence intervals as an SVG drawn server-side
- `server`     runs uvicorn in-process (so it dies with winback), warns off loopback
- `routes/`    one module per noun: login, batches, variants, drafts, audit,
               exports, lift

Everything shown (LLM copy, cohort values, segment names) is untrusted data:
templates escape it, and the CSP would refuse to run a script even if an
escape were missed.
"""

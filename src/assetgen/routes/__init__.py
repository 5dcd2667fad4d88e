"""Routes: one module per image surface, behind one small interface.

A route turns an `ImageJob` into a `RouteResult` (image bytes plus what the
surface said about it). It owns its request shape, billing and errors; the
build engine owns scheduling, retries, budget, fitting and writing; it takes
its routes by injection (a `RouteFactory`), so tests drive it with fakes. What
is known about a route without loading it (billing, key, exact size, spec
extras, defaults) is in `routes/registry.py`; adding a route means adding a
module here and one `RouteInfo` there. The interface every route implements is
`routes/base.py`.
"""

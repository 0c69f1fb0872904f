"""The REST Admin read API of the simulator (PLATFORM §10): versioned `…/admin/api/<v>/*.json`.

`endpoint` runs the checks every request passes (version, format, token, shop state, the
request bucket, faults) and dispatches; `resources` says which path serves what; `sources`
filters and orders the lists; `paging` walks them with `page_info` cursors and writes the
`Link` header; `shapes` adds what REST bodies carry beyond the webhook payloads; `bucket` is
the request-based leaky bucket; `errors` the error bodies; `events` the shop's Event log.
"""

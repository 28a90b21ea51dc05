"""A local stand-in for PostHog's private query API and capture endpoints, for tests.

It runs HogQL on an in-process ClickHouse (chdb), parses queries with PostHog's own
parser (``hogql-parser``) and answers with PostHog's statuses, bodies and limits.
"""

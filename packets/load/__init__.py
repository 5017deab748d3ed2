"""Load: every input read and checked on its own, before anything is planned.

People's YAML read within limits, each value with its line (sources), held against the contract
(model, with validation's messages), the curriculum under content/ (curriculum), which organization
files a command is about (orgfiles), the one logo an organization may point at (assets, svg_check),
every character against the fonts we ship (glyphs), and the warnings a careful reader would give
(review, legibility). It hands on a checked `Curriculum` and readable `Organization` models with
their `Problem`s; nothing here knows about plans, HTML or PDFs.
"""

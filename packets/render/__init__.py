"""Render: a `Plan` into HTML, and HTML into PDF, for every document and audience.

Jinja2 templates (html), the projected slides and the delivery kit (slides, kit), WeasyPrint with our
fonts and our files only (pdf) plus what it leaves undone (pageflow, actual_text, link_text,
table_scope), each PDF read back before it counts (pdf_check), inside a time and memory budget
(budget). `job` is the part a worker process runs: a document's HTML laid out and checked;
`libraries` imports WeasyPrint without its slow library search. It hands finished, checked
PDF bytes to `write`; the output folder is not its business.
"""

"""The text tools several passes share, and third-party passes may use: import from the modules.

- `prose`: a target's lines as prose (quote markers off; code, math and comments blanked):
  `target_lines`, `prose_rows`, `prose_span`, `non_prose`, `unquote`.
- `references`: the one citation parser: `parse(note, target) -> Citations`, `has_citation`,
  `may_cite`, `MARKERS`, `is_list_head`, `find_urls`, `dois`, `arxiv_ids`.
- `reference_types`: what it finds: `Citations`, `Marker`, `Reference`, `Mention`.
- `sentences`: sentences with the note line each starts on: `sentences(note, target)`, `Sentence`.
- `language`: which language a text is in: `language` (what pysbd is told), `is_english`.
- `asides`: what answers put between sentences (a bracketed reference, an editor's note, a URL on its
  own line) and the bold label opening a list item: `unit_kind`, `split_label`, the `Sentence.kind`s.
- `shape`: what a sentence is doing, by its shape: `is_meta` (about the answer or a draft),
  `is_fragment` (a verbless list fragment), `says_something` (what a summary may pick), `bare`.
- `units`: heading sections, callouts and leads, each with where a callout about it goes: `units`, `Unit`.
- `quoting`: text for a managed callout: `plain` (Markdown stripped), `escape` (escaped only where it
  would render as more than text), `quote` (both, for text from a note), `clip` (cut to a length).
- `headings`: links that open exactly one heading: `heading_paths(note)` (`Parent#Heading` for a
  repeated one), `link_name`, and `note_link(path)` (a note's name as a link holds it).

- `worthy`: the offline check-worthiness score (`score`, `THRESHOLD`); `claims`: a target's claims and
  the citation cover of each (`find_claims(note, target, threshold) -> Found`, `Claim`, `Cover`).
- `scholar`: the scholarly services (`verify(ref, client, options, lookups)`, `Lookups`), how each is
  asked and read (`scholar_apis`), and where they answer (`services.SERVICES`). Unlike the others it
  uses the network, through the `HttpClient` it is given (None: the cache alone).

- `arrays`: numpy imported on first use with one BLAS thread, and `run_starts`, `distinct`, `array`.

Each is pure (no files, no network but `scholar`'s, through the client it is given, no printing), and what it returns carries `note.lines` line
numbers. Their output is part of the passes' results: a change here that changes what they return
needs the version of every pass that uses it bumped.
"""

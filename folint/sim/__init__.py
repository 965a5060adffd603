"""The companion simulator: replays a finding's function on a model folio."""

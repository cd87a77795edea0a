"""Post-mortems: rendering incidents into Confluence storage format and publishing them."""

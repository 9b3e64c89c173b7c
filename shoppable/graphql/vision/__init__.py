"""GraphQL for visual search: `visualSearch`, `createSearchUpload`, `Post.suggestedTags`."""

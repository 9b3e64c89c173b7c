// Scrolls the feed the way a web client does: Apollo Client's cache with relayStylePagination().
//
//   node feed_pagination.mjs URL [TOKEN]
//
// URL is the GraphQL endpoint; TOKEN (or FEED_TOKEN) an optional bearer token. FEED_FIRST (page size,
// default 7), FEED_MODE (default FOR_YOU) and FEED_MAX_PAGES (default 100) tune the walk.
// Prints one JSON object: the ids of each page as the server returned it, and the ids (and sources) Apollo's
// cache accumulated (read back with readQuery after the last fetchMore): what a list component renders.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { relayStylePagination } from "@apollo/client/utilities/index.js";

const url = process.argv[2] ?? process.env.FEED_URL;
const token = process.argv[3] ?? process.env.FEED_TOKEN;
const first = Number(process.env.FEED_FIRST ?? 7);
const mode = process.env.FEED_MODE ?? "FOR_YOU";
const maxPages = Number(process.env.FEED_MAX_PAGES ?? 100);

if (!url) {
  console.error("usage: node feed_pagination.mjs GRAPHQL_URL [BEARER_TOKEN]");
  process.exit(2);
}

const FEED = gql`
  query Feed($first: Int!, $after: String, $mode: FeedMode!) {
    feed(first: $first, after: $after, mode: $mode) {
      edges {
        cursor
        source
        node {
          __typename
          ... on Post {
            id
          }
          ... on Product {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

const client = new ApolloClient({
  link: new HttpLink({
    uri: url,
    fetch, // Node's own (undici)
    headers: token ? { authorization: `Bearer ${token}` } : {},
  }),
  cache: new InMemoryCache({
    possibleTypes: {
      FeedItem: ["Post", "Product"],
      Node: [
        "ApiKey",
        "CatalogImport",
        "Creator",
        "Media",
        "Merchant",
        "Post",
        "PostReport",
        "Product",
        "Sku",
        "User",
      ],
    },
    typePolicies: { Query: { fields: { feed: relayStylePagination(["mode"]) } } },
  }),
});

const ids = (connection) => connection.edges.map((edge) => edge.node.id);

async function main() {
  const variables = { first, mode };
  const query = client.watchQuery({ query: FEED, variables });
  const subscription = query.subscribe({ error: () => {} }); // keep the query active, as a mounted component would
  try {
    const initial = await query.result();
    const pages = [ids(initial.data.feed)];
    let pageInfo = initial.data.feed.pageInfo;
    while (pageInfo.hasNextPage && pages.length < maxPages) {
      const more = await query.fetchMore({ variables: { after: pageInfo.endCursor } });
      pages.push(ids(more.data.feed));
      pageInfo = more.data.feed.pageInfo;
    }
    const cached = client.readQuery({ query: FEED, variables });
    return {
      pages,
      accumulated: ids(cached.feed),
      sources: cached.feed.edges.map((edge) => edge.source),
      hasNextPage: pageInfo.hasNextPage,
      cachedPageInfo: cached.feed.pageInfo,
    };
  } finally {
    subscription.unsubscribe();
    client.stop();
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    console.error(error?.stack ?? String(error));
    if (error?.graphQLErrors?.length) console.error(JSON.stringify(error.graphQLErrors));
    if (error?.networkError?.result) console.error(JSON.stringify(error.networkError.result));
    process.exit(1);
  },
);

// The status page's document: static markup only; lib/page/script.ts fills it from the public API.
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ims-transfer · status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand">
    <h1>ims-transfer</h1>
    <p class="tagline">image exports, imports and captures</p>
  </div>
  <form id="key-form" class="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="password" spellcheck="false" placeholder="imt_…" aria-describedby="key-note">
    <button type="submit">Apply</button>
    <button type="button" id="forget" class="quiet" hidden>Forget key</button>
    <p id="key-note" class="note">Kept in this tab's session storage only.</p>
  </form>
</header>
<main>
  <p id="notice" class="notice" role="status" aria-live="polite"></p>
  <section class="panel" aria-labelledby="requests-title">
    <div class="panel-head">
      <h2 id="requests-title">Recent requests</h2>
      <span id="updated" class="muted" aria-live="off"></span>
    </div>
    <div class="table-wrap">
      <table id="requests" class="grid">
        <caption class="visually-hidden">The tenant's most recent requests, newest first; refreshed every few seconds.</caption>
        <thead><tr>
          <th scope="col">Request</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Progress</th>
          <th scope="col">Age</th><th scope="col">Webhook</th><th scope="col">Error</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="empty" class="empty" hidden>No requests yet.</p>
  </section>
  <section id="detail" class="panel" aria-labelledby="detail-title" hidden>
    <div class="panel-head">
      <h2 id="detail-title">Request</h2>
      <div class="actions">
        <button type="button" id="redeliver" class="quiet">Redeliver webhook</button>
        <button type="button" id="close-detail" class="quiet">Close</button>
      </div>
    </div>
    <dl id="summary" class="summary"></dl>
    <h3 id="deliveries-title">Deliveries</h3>
    <div class="table-wrap">
      <table id="deliveries" class="grid" aria-labelledby="deliveries-title">
        <thead><tr>
          <th scope="col">At</th><th scope="col">Type</th><th scope="col">Attempt</th><th scope="col">Target</th>
          <th scope="col">Result</th><th scope="col">Duration</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="no-deliveries" class="empty" hidden>No delivery attempts yet.</p>
    <details class="raw"><summary>Record as JSON</summary><pre id="record-json"></pre></details>
  </section>
</main>
</body>
</html>
`;

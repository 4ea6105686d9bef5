// The status page's script, served from the page's own origin (the CSP allows no inline script).
// Plain browser JavaScript: it reads the public API with the key kept in sessionStorage and builds
// the DOM with textContent only, so nothing from a record is ever parsed as markup.
export const PAGE_SCRIPT = String.raw`'use strict';
(function () {
  var KEY_NAME = 'ims-transfer.api-key';
  var REFRESH_MS = 2000;
  var TERMINAL = { succeeded: true, failed: true, cancelled: true };
  var el = function (id) { return document.getElementById(id); };
  var state = { key: sessionStorage.getItem(KEY_NAME), selected: null, timer: null, loading: false };

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  async function api(path, method) {
    var res = await fetch(path, { method: method || 'GET', headers: { authorization: 'Bearer ' + state.key }, cache: 'no-store' });
    var text = await res.text();
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!res.ok) {
      var error = new Error((body && (body.detail || body.title)) || ('HTTP ' + res.status));
      error.status = res.status;
      throw error;
    }
    return body;
  }

  function notice(text, kind) {
    var n = el('notice');
    n.textContent = text || '';
    n.className = 'notice' + (kind ? ' ' + kind : '');
  }

  function age(iso) {
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d';
  }

  function percentOf(r) {
    if (r.status === 'succeeded') return 100;
    if (r.progress !== null && r.progress !== undefined) return Math.round(r.progress);
    return r.status === 'running' ? null : 0;
  }

  function progressCell(r) {
    var td = node('td', 'progress-cell');
    var bar = node('progress', 'bar bar-' + r.status);
    bar.max = 100;
    var p = percentOf(r);
    if (p !== null) bar.value = p;
    bar.setAttribute('aria-label', 'Progress of ' + r.id);
    td.appendChild(bar);
    td.appendChild(node('span', 'percent', p === null ? '…' : p + ' %'));
    return td;
  }

  function badge(status) {
    return node('span', 'badge status-' + status, status);
  }

  function errorCell(r) {
    var td = node('td', 'error-cell');
    if (!r.error) { td.appendChild(node('span', 'muted', '—')); return td; }
    var head = node('div', 'error-head');
    head.appendChild(node('code', null, r.error.code));
    head.appendChild(node('span', 'error-source', r.error.source));
    td.appendChild(head);
    td.appendChild(node('div', 'error-message', r.error.message));
    if (r.error.hint) td.appendChild(node('div', 'hint', r.error.hint));
    return td;
  }

  function webhookCell(r) {
    var td = node('td');
    var w = r.webhook || { status: 'none', attempts: 0 };
    td.appendChild(node('span', 'badge webhook-' + w.status, w.status));
    if (w.attempts) td.appendChild(node('span', 'muted attempts', w.attempts + (w.attempts === 1 ? ' attempt' : ' attempts')));
    return td;
  }

  function requestRow(r) {
    var tr = node('tr');
    tr.dataset.id = r.id;
    tr.dataset.status = r.status;
    if (state.selected === r.id) tr.className = 'selected';
    var idCell = node('th');
    idCell.scope = 'row';
    var open = node('button', 'link', r.id);
    open.type = 'button';
    open.setAttribute('aria-label', 'Open ' + r.kind + ' ' + r.id);
    open.addEventListener('click', function () { select(r.id); });
    idCell.appendChild(open);
    if (r.client_ref) idCell.appendChild(node('div', 'muted small', r.client_ref));
    tr.appendChild(idCell);
    tr.appendChild(node('td', 'kind', r.kind));
    var st = node('td');
    st.appendChild(badge(r.status));
    tr.appendChild(st);
    tr.appendChild(progressCell(r));
    var ageCell = node('td', 'age', age(r.created_at));
    ageCell.title = r.created_at;
    tr.appendChild(ageCell);
    tr.appendChild(webhookCell(r));
    tr.appendChild(errorCell(r));
    return tr;
  }

  function summaryItem(dl, label, value) {
    if (value === null || value === undefined || value === '') return;
    dl.appendChild(node('dt', null, label));
    var dd = node('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
  }

  function showDetail(r, deliveries) {
    el('detail').hidden = false;
    el('detail-title').textContent = r.kind.charAt(0).toUpperCase() + r.kind.slice(1) + ' ' + r.id;
    var dl = el('summary');
    dl.replaceChildren();
    summaryItem(dl, 'Status', badge(r.status));
    summaryItem(dl, 'Progress', percentOf(r) === null ? 'not reported' : percentOf(r) + ' %');
    summaryItem(dl, 'IMS job', r.ims_job_id);
    summaryItem(dl, 'Image', r.image_id);
    summaryItem(dl, 'Region / project', r.region + ' / ' + r.project_id);
    summaryItem(dl, 'Created', r.created_at);
    summaryItem(dl, 'Completed', r.completed_at);
    summaryItem(dl, 'Webhook', r.webhook.status + ' (' + r.webhook.attempts + ' attempts)');
    if (r.error) summaryItem(dl, 'Error', r.error.code + ': ' + r.error.message + (r.error.hint ? ' — ' + r.error.hint : ''));
    el('redeliver').hidden = !TERMINAL[r.status] || r.webhook.status === 'none';
    var body = el('deliveries').tBodies[0];
    body.replaceChildren();
    deliveries.forEach(function (d) {
      var tr = node('tr');
      tr.appendChild(node('td', 'mono small', d.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')));
      tr.appendChild(node('td', null, d.type));
      tr.appendChild(node('td', 'num', d.attempt));
      tr.appendChild(node('td', 'mono small', d.url_origin));
      var result = node('td');
      result.appendChild(node('span', 'badge ' + (d.error === null ? 'delivery-ok' : 'delivery-failed'), d.status_code === null ? 'no answer' : 'HTTP ' + d.status_code));
      if (d.error) result.appendChild(node('div', 'small muted', d.error));
      tr.appendChild(result);
      tr.appendChild(node('td', 'num', d.duration_ms + ' ms'));
      body.appendChild(tr);
    });
    el('no-deliveries').hidden = deliveries.length > 0;
    el('record-json').textContent = JSON.stringify(r, null, 2);
  }

  async function refresh() {
    if (!state.key || state.loading) return;
    state.loading = true;
    try {
      var page = await api('/v1/requests?limit=25');
      var body = el('requests').tBodies[0];
      body.replaceChildren.apply(body, page.items.map(requestRow));
      el('empty').hidden = page.items.length > 0;
      el('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      if (state.selected) {
        var id = state.selected;
        var both = await Promise.all([api('/v1/requests/' + id), api('/v1/requests/' + id + '/deliveries')]);
        if (state.selected === id) showDetail(both[0], both[1].items);
      }
      notice('');
    } catch (e) {
      if (e.status === 401) {
        notice('The API key was not accepted. Enter a valid key.', 'error');
        stop();
      } else {
        notice('Could not refresh: ' + e.message, 'error');
      }
    } finally {
      state.loading = false;
    }
  }

  function start() {
    stop();
    el('forget').hidden = false;
    refresh();
    state.timer = setInterval(refresh, REFRESH_MS);
  }

  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  function select(id) {
    state.selected = id;
    Array.prototype.forEach.call(el('requests').tBodies[0].rows, function (row) {
      row.className = row.dataset.id === id ? 'selected' : '';
    });
    refresh().then(function () { el('detail-title').focus(); });
  }

  el('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = el('api-key').value.trim();
    if (!key) { notice('Enter an API key.', 'error'); return; }
    state.key = key;
    sessionStorage.setItem(KEY_NAME, key);
    el('api-key').value = '';
    notice('Key applied.');
    start();
  });

  el('forget').addEventListener('click', function () {
    stop();
    sessionStorage.removeItem(KEY_NAME);
    state.key = null;
    state.selected = null;
    el('requests').tBodies[0].replaceChildren();
    el('detail').hidden = true;
    el('forget').hidden = true;
    notice('Key forgotten.');
  });

  el('close-detail').addEventListener('click', function () {
    state.selected = null;
    el('detail').hidden = true;
    refresh();
  });

  el('redeliver').addEventListener('click', async function () {
    if (!state.selected) return;
    try {
      await api('/v1/requests/' + state.selected + '/redeliver', 'POST');
      notice('Redelivery requested: it appears under Deliveries within seconds.');
      refresh();
    } catch (e) {
      notice('Redelivery refused: ' + e.message, 'error');
    }
  });

  el('detail-title').tabIndex = -1;
  if (state.key) start(); else el('api-key').focus();
})();
`;

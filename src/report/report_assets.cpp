// SPDX-License-Identifier: MIT
//
// The style sheet and scripts inlined into every HTML report (see report_assets.hpp). The script
// builds table cells with `textContent` and DOM properties only, never with HTML strings, so
// ids and URLs from the data cannot inject markup; links are made only for http(s) URLs.
//
// Thread safety: constants.

#include "report/report_assets.hpp"

namespace bulkscore::detail {

const char* const kReportCss = R"css(
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --paper: #ffffff; --bg: #f5f7fa;
  --accent: #1c7ed6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #102a43; color: #f0f4f8; padding: 18px 22px 16px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #bcccdc; font-size: 13px; }
main { padding: 18px 22px 40px; max-width: 1600px; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 18px; margin-bottom: 18px; }
h2 { font-size: 16px; margin: 0 0 4px; }
.hint { color: var(--muted); font-size: 13px; margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px;
  margin-bottom: 18px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; margin-top: 2px; white-space: nowrap; }
.card .sub { color: var(--muted); font-size: 12px; }
.card.key { border-color: #a5d8ff; background: #e7f5ff; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.charts section { margin-bottom: 18px; }
svg { display: block; width: 100%; height: auto; font-family: inherit; }
svg text { fill: var(--ink); font-size: 11px; }
svg .axis text, svg text.muted { fill: var(--muted); }
svg .grid line { stroke: var(--line); }
.legend { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 20px;
  margin: 0; padding: 0; list-style: none; font-size: 12px; color: var(--muted); }
section.actions { padding: 12px 18px; }
.legend b { color: var(--ink); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
.controls { display: flex; gap: 12px; align-items: center; margin: 8px 0 10px;
  flex-wrap: wrap; }
.controls select, .controls input { font: inherit; padding: 5px 8px; border: 1px solid #cbd2d9;
  border-radius: 6px; background: #fff; }
.controls input { width: 320px; }
#shown { color: var(--muted); font-size: 13px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { position: sticky; top: 0; background: #f0f4f8; text-align: left; font-weight: 600;
  border-bottom: 1px solid #cbd2d9; white-space: nowrap; padding: 0; }
th button { all: unset; cursor: pointer; display: block; padding: 7px 6px; }
th button:focus-visible { outline: 2px solid var(--accent); }
th[aria-sort] button::after { content: " \25BC"; color: var(--accent); font-size: 10px; }
th[aria-sort="ascending"] button::after { content: " \25B2"; }
th.num, td.num { text-align: right; }
td { padding: 5px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
tbody tr:hover td { background-color: #f8fafc; }
td.score { font-weight: 650; text-align: right; }
th.wrap { white-space: normal; min-width: 70px; }
td.page { max-width: 230px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.page a { color: var(--accent); text-decoration: none; }
td.page a:hover { text-decoration: underline; }
td.page small { display: block; color: var(--muted); overflow: hidden; text-overflow: ellipsis; }
td.c { text-align: right; font-variant-numeric: tabular-nums; color: #334e68; font-size: 12px;
  padding: 5px 4px; }
th.c button { font-size: 11px; padding: 7px 4px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-size: 12px; white-space: nowrap; }
td.drivers { white-space: nowrap; }
.chip { display: inline-block; background: #eef2f7; border-radius: 4px; padding: 0 5px;
  margin-right: 4px; font-size: 11px; }
.chip b { font-weight: 600; }
.empty { color: var(--muted); padding: 12px 0; }
table.plain td, table.plain th { padding: 5px 8px; }
table.plain th { position: static; padding: 7px 8px; }
.state-finished { color: #2b8a3e; font-weight: 600; }
.state-failed { color: #c92a2a; font-weight: 600; }
.state-running, .state-cancelled { color: #e67700; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 12px; }
@media (max-width: 1100px) { .cards { grid-template-columns: repeat(3, 1fr); }
  .charts { grid-template-columns: 1fr; } }
)css";

const char* const kReportErrorTrap = R"js(
window.reportErrors = [];
window.addEventListener('error', function (e) { window.reportErrors.push(String(e.message)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.reportErrors.push(Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
)js";

const char* const kReportScript = R"js(
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const rows = data.rows.map(function (v, i) { return { rank: i + 1, v: v }; });
  const body = document.getElementById('top-body');
  const actionSelect = document.getElementById('action-filter');
  const textInput = document.getElementById('text-filter');
  const shown = document.getElementById('shown');
  const empty = document.getElementById('no-match');
  const ID = 0, URL = 1, SCORE = 2, POTENTIAL = 3, ACTION = 4, FIRST_COMPONENT = 5;
  const DRIVERS = FIRST_COMPONENT + data.components.length;
  const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  function driverText(o) {
    return o.v[DRIVERS].map(function (d) { return data.components[d[0]]; }).join(' ');
  }
  // How each column sorts: numbers numerically, text case-insensitively.
  const keys = {
    rank: function (o) { return o.rank; },
    score: function (o) { return o.v[SCORE]; },
    action: function (o) { return data.actions[o.v[ACTION]][1].toLowerCase(); },
    potential: function (o) { return o.v[POTENTIAL]; },
    page: function (o) { return (o.v[URL] || o.v[ID]).toLowerCase(); },
    drivers: driverText
  };
  data.components.forEach(function (name, i) {
    keys[name] = function (o) { return o.v[FIRST_COMPONENT + i]; };
  });
  let sortKey = 'score';
  let ascending = false;

  function cell(tr, key, className) {
    const td = document.createElement('td');
    td.dataset.key = key;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }
  function pageCell(tr, o) {
    const td = cell(tr, 'page', 'page');
    const id = o.v[ID], url = o.v[URL];
    const shownText = url || id;
    const link = /^https?:\/\//i.test(shownText) ? document.createElement('a') : null;
    const target = link || document.createElement('span');
    if (link) { link.href = shownText; link.target = '_blank'; link.rel = 'noopener noreferrer'; }
    target.textContent = shownText.replace(/^https?:\/\//i, '');
    td.title = url && url !== id ? id + '\n' + url : shownText;
    td.appendChild(target);
    if (url && url !== id) {
      const small = document.createElement('small');
      small.textContent = id;
      td.appendChild(small);
    }
  }
  function row(o) {
    const tr = document.createElement('tr');
    cell(tr, 'rank', 'num').textContent = o.rank;
    const score = cell(tr, 'score', 'score');
    score.textContent = o.v[SCORE].toFixed(2);
    score.style.background = 'linear-gradient(90deg, #d0ebff ' + o.v[SCORE] + '%, transparent ' +
      o.v[SCORE] + '%)';
    const action = data.actions[o.v[ACTION]];
    const pill = document.createElement('span');
    pill.className = 'pill';
    pill.style.background = action[2];
    pill.textContent = action[1];
    pill.title = action[0];
    const actionCell = cell(tr, 'action');
    actionCell.dataset.action = action[0];
    actionCell.appendChild(pill);
    cell(tr, 'potential', 'num').textContent = whole.format(o.v[POTENTIAL]);
    pageCell(tr, o);
    const drivers = cell(tr, 'drivers', 'drivers');
    o.v[DRIVERS].forEach(function (d) {
      const chip = document.createElement('span');
      chip.className = 'chip';
      const name = document.createElement('b');
      name.textContent = data.components[d[0]];
      chip.appendChild(name);
      chip.appendChild(document.createTextNode(' ' + d[1].toFixed(1)));
      drivers.appendChild(chip);
    });
    data.components.forEach(function (name, i) {
      const value = o.v[FIRST_COMPONENT + i];
      const td = cell(tr, name, 'c');
      td.textContent = value.toFixed(2);
      td.style.backgroundColor = 'rgba(28, 126, 214, ' + (value * 0.35).toFixed(3) + ')';
    });
    return tr;
  }

  function visibleRows() {
    const action = actionSelect.value;
    const needle = textInput.value.trim().toLowerCase();
    const picked = rows.filter(function (o) {
      if (action !== '' && data.actions[o.v[ACTION]][0] !== action) return false;
      if (needle === '') return true;
      return o.v[ID].toLowerCase().indexOf(needle) >= 0 ||
        o.v[URL].toLowerCase().indexOf(needle) >= 0;
    });
    const get = keys[sortKey];
    const direction = ascending ? 1 : -1;
    picked.sort(function (a, b) {
      const x = get(a), y = get(b);
      if (x < y) return -direction;
      if (x > y) return direction;
      return a.rank - b.rank;
    });
    return picked;
  }
  function render() {
    const picked = visibleRows();
    const fragment = document.createDocumentFragment();
    picked.forEach(function (o) { fragment.appendChild(row(o)); });
    body.replaceChildren(fragment);
    empty.hidden = picked.length !== 0;
    shown.textContent = 'Showing ' + whole.format(picked.length) + ' of ' +
      whole.format(rows.length) + ' pages';
    document.querySelectorAll('#top-table th').forEach(function (th) {
      if (th.dataset.key === sortKey) {
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      } else {
        th.removeAttribute('aria-sort');
      }
    });
  }
  document.querySelectorAll('#top-table th button').forEach(function (button) {
    button.addEventListener('click', function () {
      const th = button.parentElement;
      if (th.dataset.key === sortKey) {
        ascending = !ascending;
      } else {
        sortKey = th.dataset.key;
        // Numbers start with the largest, text from A.
        ascending = th.dataset.type !== 'num' || sortKey === 'rank';
      }
      render();
    });
  });
  actionSelect.addEventListener('change', render);
  textInput.addEventListener('input', render);
  render();
  const readyMs = performance.now();

  // ?selftest=1: exercise sorting and filtering the way a reader would, and write what the
  // table showed into the page for the browser test to check.
  function selftest(params) {
    const out = { errors: window.reportErrors };
    const column = function (key) {
      return Array.prototype.map.call(body.querySelectorAll('td[data-key="' + key + '"]'),
        function (td) { return td.textContent; });
    };
    const numbers = function (key) {
      return column(key).map(function (t) { return Number(t.replace(/,/g, '')); });
    };
    const click = function (key) {
      document.querySelector('#top-table th[data-key="' + key + '"] button').click();
      return document.querySelector('#top-table th[data-key="' + key + '"]')
        .getAttribute('aria-sort');
    };
    out.rows_initial = body.rows.length;
    out.score_initial = numbers('score');
    out.score_click1 = { sort: click('score'), values: numbers('score') };
    out.score_click2 = { sort: click('score'), values: numbers('score') };
    out.potential_click1 = { sort: click('potential'), values: numbers('potential') };
    click('score');
    const action = params.get('action') || 'push_to_top';
    actionSelect.value = action;
    actionSelect.dispatchEvent(new Event('change'));
    out.action = action;
    out.action_selected = actionSelect.value;
    out.rows_action = body.rows.length;
    const actionCells = body.querySelectorAll('td[data-key="action"]');
    out.actions_shown = Array.from(new Set(Array.prototype.map.call(actionCells,
      function (td) { return td.dataset.action; })));
    actionSelect.value = '';
    textInput.value = params.get('text') || '';
    textInput.dispatchEvent(new Event('input'));
    out.text = textInput.value;
    out.rows_text = body.rows.length;
    textInput.value = '';
    textInput.dispatchEvent(new Event('input'));
    out.rows_final = body.rows.length;
    out.svg_charts = document.querySelectorAll('svg.chart').length;
    out.ready_ms = readyMs;
    const result = document.createElement('pre');
    result.id = 'selftest-result';
    result.textContent = JSON.stringify(out);
    document.body.appendChild(result);
  }
  const params = new URLSearchParams(location.search);
  if (params.get('selftest') === '1') selftest(params);
})();
)js";

}  // namespace bulkscore::detail

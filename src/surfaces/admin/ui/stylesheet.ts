// The admin UI's one stylesheet, served from /admin/static/admin.css (the CSP allows no inline
// style). Kept in code so the build needs no asset step. Narrow screens (phones, 375 px) get
// one column and tables turned into labelled cards; wide ones get the full tables.
import { createHash } from 'node:crypto';
import { REPLIED } from '../../../http/route.js';
import { type UiRoute, assetRoute } from './style.js';

const STYLESHEET_PATH = '/admin/static/admin.css';

const ADMIN_CSS = `
:root{--fg:#1c1f23;--muted:#59626e;--bg:#f5f6f8;--panel:#fff;--line:#d8dde4;--accent:#1d5fbf;--danger:#b3261e;
--ok-bg:#e6f4ea;--ok-fg:#1a5a2a;--err-bg:#fdecea;--err-fg:#8a1c14;--info-bg:#eaf1fb;--info-fg:#1d3f73}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f0a020;outline-offset:2px}
.top{background:#1b2432;color:#fff}
.bar{max-width:1240px;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.5rem}
.brand{color:#fff;font-weight:700;text-decoration:none;font-size:1.05rem}
.nav{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.1rem 1.1rem}
.nav a{color:#d5deea;text-decoration:none;display:inline-block;padding:.2rem 0;border-bottom:2px solid transparent}
.nav a:hover{color:#fff}
.nav a[aria-current=page]{color:#fff;border-bottom-color:#fff}
.who{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem;color:#c6cfdb;font-size:.9rem;margin-left:auto}
.who strong{color:#fff;overflow-wrap:anywhere}
button.link{background:none;border:0;color:#fff;text-decoration:underline;cursor:pointer;font:inherit;padding:.2rem 0}
main{max-width:1240px;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0 0 .75rem}
.subtitle{color:var(--muted);margin:-.5rem 0 1rem}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem;min-width:0}
.narrow{max-width:36rem;margin-left:auto;margin-right:auto}
.notice{padding:.7rem 1rem;border-radius:6px;margin:0 0 1rem;border:1px solid}
.notice ul{margin:0}
.notice-success{background:var(--ok-bg);color:var(--ok-fg);border-color:#b5dcbf}
.notice-error{background:var(--err-bg);color:var(--err-fg);border-color:#f0b5af}
.notice-info{background:var(--info-bg);color:var(--info-fg);border-color:#bccfee}
.field{margin-bottom:1rem;min-width:0}
.field>label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],input[type=email],input[type=password],input[type=search],input[type=tel],input[type=date],select,textarea{
width:100%;font:inherit;padding:.45rem .6rem;border:1px solid #8e98a4;border-radius:6px;background:#fff;color:inherit;min-height:2.6rem}
textarea{resize:vertical}
.field-check{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin-bottom:.75rem}
.field-check>label{display:inline;font-weight:500;margin:0}
.field-check input{width:1.3rem;height:1.3rem;margin:0;accent-color:var(--accent)}
.field-check .help,.field-check .errorlist{flex-basis:100%;margin-left:1.8rem}
.help{color:var(--muted);font-size:.9rem;margin:.25rem 0 0}
.errorlist{color:var(--err-fg);margin:.3rem 0 0;padding:0;list-style:none;font-size:.95rem;font-weight:600}
[aria-invalid=true]{border-color:var(--danger)!important}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem 0;margin:0 0 1rem;min-width:0}
legend{font-weight:600;padding:0 .25rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.btn{display:inline-block;font:inherit;font-weight:600;padding:.5rem 1rem;border-radius:6px;border:1px solid transparent;cursor:pointer;
text-decoration:none;min-height:2.6rem;line-height:1.5;text-align:center}
.btn-primary{background:var(--accent);color:#fff}
.btn-primary:hover{background:#174d9c}
.btn-secondary{background:#fff;color:var(--fg);border-color:#8e98a4}
.btn-secondary:hover{background:#eef1f5}
.btn-danger{background:var(--danger);color:#fff}
.btn-danger:hover{background:#8f1e18}
form.inline{display:inline;margin:0}
.action-bar{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:0 1rem;align-items:end;background:var(--panel);
border:1px solid var(--line);border-radius:8px;padding:1rem 1rem 0;margin-bottom:1rem}
.filters .wide{grid-column:1/-1}
.filters .actions{margin-bottom:1rem;grid-column:1/-1}
.table-wrap{overflow-x:auto;background:var(--panel);border:1px solid var(--line);border-radius:8px;margin-bottom:1rem}
table.list{border-collapse:collapse;width:100%;font-size:.9rem}
.list th,.list td{text-align:left;padding:.5rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.list th{background:#eef1f5;font-weight:600;vertical-align:bottom}
.list tbody tr:last-child td{border-bottom:0}
.list tbody tr:hover{background:#f7f9fc}
.list td.wrap{overflow-wrap:anywhere;min-width:9rem}
.details{font-size:.88rem;overflow-wrap:anywhere}
.details .k{color:var(--muted)}
.event{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.small{font-size:.85rem}
.empty{color:var(--muted);font-style:italic}
.pager{display:flex;justify-content:space-between;align-items:center;gap:.5rem 1rem;flex-wrap:wrap;margin:0 0 1rem}
.group h2{margin-top:.5rem}
.stats{list-style:none;padding:0;margin:0 0 1.5rem;display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.75rem}
.stat a,.stat>div{display:block;height:100%;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;text-decoration:none;color:inherit}
.stat a:hover{border-color:var(--accent)}
.stat-value{display:block;font-size:1.8rem;font-weight:700;line-height:1.2}
.stat-label{color:var(--muted)}
.stat a .stat-label{color:var(--accent);text-decoration:underline}
.facts{margin:0}
.webhook h2{overflow-wrap:anywhere}
.facts div{display:grid;grid-template-columns:9.5rem minmax(0,1fr);gap:.75rem;padding:.35rem 0;border-bottom:1px solid var(--line)}
.facts div:last-child{border-bottom:0}
.facts dt{font-weight:600;color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere;min-width:0}
.columns{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;margin-bottom:1rem}
.columns>.panel{margin-bottom:0}
.plain{list-style:none;padding:0;margin:0}
.plain li{padding:.2rem 0}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.error-page h1{margin-top:0}
@media (max-width:820px){
.columns{grid-template-columns:minmax(0,1fr)}
.who{margin-left:0}
.table-wrap{overflow-x:visible;background:none;border:0}
table.list,.list tbody,.list tr,.list td{display:block;width:100%}
.list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
.list tr{background:var(--panel);border:1px solid var(--line);border-radius:8px;margin-bottom:.75rem;padding:.4rem 0}
.list td{border:0;position:relative;padding:.2rem .75rem .2rem 8.5rem;min-height:1.8rem;overflow-wrap:anywhere}
.list td::before{content:attr(data-label);position:absolute;left:.75rem;width:7.25rem;font-weight:600;color:var(--muted)}
.list td.wrap{min-width:0}
.list time{overflow-wrap:normal}
.list tbody tr:hover{background:var(--panel)}
.facts div{grid-template-columns:minmax(0,1fr);gap:0}
}
`;

const ETAG = `"${createHash('sha256').update(ADMIN_CSS).digest('hex').slice(0, 16)}"`;

export function stylesheetRoutes(): UiRoute[] {
  return [
    assetRoute(STYLESHEET_PATH, 'Stylesheet', async ({ request, reply }) => {
      reply.header('ETag', ETAG).header('Cache-Control', 'no-cache');
      if (request.headers['if-none-match'] === ETAG) await reply.code(304).send();
      else await reply.type('text/css; charset=utf-8').send(ADMIN_CSS);
      return REPLIED;
    }),
  ];
}

/* global document, window, EventSource */
/*
 * A tiny embeddable inbox client for the Notification Hub (plain JS, no framework, no build).
 *
 *   <script src="inbox.js"></script>
 *   var inbox = HubInbox.mount(element, { baseUrl: 'https://hub.example.com', token: userToken,
 *                                          onCounts: function (counts) {…}, onStatus: function (text) {…} });
 *
 * It loads the first page of the inbox, then opens the live stream (Server-Sent Events) after
 * the page's lastEventId, so nothing that arrives in between is missed; EventSource reconnects
 * by itself and sends Last-Event-ID, and the hub resumes after it (no item lost or repeated).
 * The token is the one the app's backend signed for its signed-in user (docs/inbox.md).
 */
(function (global) {
  'use strict';

  function mount(root, options) {
    var base = (options.baseUrl || '').replace(/\/$/, '');
    var token = options.token;
    var onCounts = options.onCounts || function () {};
    var onStatus = options.onStatus || function () {};
    var list = document.createElement('ul');
    list.className = 'hub-inbox';
    root.appendChild(list);
    var rendered = {};
    var source = null;

    function api(method, path, body) {
      return fetch(base + path, {
        method: method,
        headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}),
        body: body ? JSON.stringify(body) : undefined,
      }).then(function (res) {
        if (!res.ok) throw new Error(method + ' ' + path + ': ' + res.status);
        return res.json();
      });
    }

    function render(item, atTop) {
      var li = rendered[item.id];
      if (!li) {
        li = document.createElement('li');
        li.dataset.id = item.id;
        rendered[item.id] = li;
        if (atTop) list.insertBefore(li, list.firstChild); else list.appendChild(li);
      }
      li.className = item.readAt ? 'read' : 'unread';
      li.textContent = '';
      var h = document.createElement('h3');
      h.textContent = item.title;
      var p = document.createElement('p');
      p.textContent = item.body;
      li.appendChild(h);
      li.appendChild(p);
      if (item.actionUrl) {
        var a = document.createElement('a');
        a.href = item.actionUrl;
        a.textContent = 'Open';
        li.appendChild(a);
        li.appendChild(document.createTextNode(' '));
      }
      if (!item.readAt) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'mark-read';
        b.textContent = 'Mark read';
        b.addEventListener('click', function () { api('POST', '/v1/inbox/items/' + item.id + '/mark', { action: 'read' }).then(function (it) { render(it); }); });
        li.appendChild(b);
      }
    }

    function load() {
      return api('GET', '/v1/inbox/items?limit=20').then(function (page) {
        page.items.forEach(function (item) { render(item, false); });
        onCounts(page.counts);
        return page.counts.lastEventId;
      });
    }

    function connect(lastEventId) {
      var url = base + '/v1/inbox/stream?token=' + encodeURIComponent(token) + '&lastEventId=' + encodeURIComponent(lastEventId);
      source = new EventSource(url);
      source.onopen = function () { onStatus('live'); };
      source.onerror = function () { onStatus('reconnecting…'); };
      source.addEventListener('item', function (e) { render(JSON.parse(e.data), true); });
      source.addEventListener('counts', function (e) { onCounts(JSON.parse(e.data)); });
      source.addEventListener('state', function () {
        // Read/seen/archived elsewhere (another tab, mark-all): refresh what is shown.
        api('GET', '/v1/inbox/items?limit=20&archived=any').then(function (page) {
          page.items.forEach(function (item) { if (rendered[item.id]) render(item); });
        });
      });
    }

    load().then(connect, function (err) { onStatus('error: ' + err.message); });

    return {
      markAll: function (action) { return api('POST', '/v1/inbox/mark-all', { action: action || 'read' }); },
      close: function () { if (source) source.close(); },
    };
  }

  global.HubInbox = { mount: mount };
})(window);

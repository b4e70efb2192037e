// The control-room page: the zone's latest schedule and the last days' schedules against their actuals,
// drawn with plotly.js served by the service itself. The zone and the token come in the address's fragment
// (#zone=ZONE&token=TOKEN), which browsers never send to a server; the token is then kept for this tab only.
(function () {
  'use strict';
  var status = document.getElementById('status');
  function say(text, state) { status.textContent = text; status.setAttribute('data-state', state || 'loading'); }
  var params = new URLSearchParams(window.location.hash.slice(1));
  var zone = params.get('zone');
  var token = params.get('token') || window.sessionStorage.getItem('greenzone-token');
  if (!zone || !token) {
    say('open this page as /control-room#zone=ZONE&token=TOKEN (a viewer token of the zone is enough)', 'error');
    return;
  }
  if (params.get('token')) {
    window.sessionStorage.setItem('greenzone-token', token);
    window.history.replaceState(null, '', '#zone=' + encodeURIComponent(zone));
  }
  var base = '/zones/' + encodeURIComponent(zone);
  function api(path) {
    return fetch(base + path, {headers: {Authorization: 'Bearer ' + token}}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { var e = new Error(r.status + ': ' + (body.detail || r.statusText)); e.status = r.status; throw e; }
        return body;
      });
    });
  }
  var layout = function (title, ytitle, extra) {
    var out = {title: {text: title}, height: 380, margin: {t: 50, r: 60, b: 50, l: 60},
               xaxis: {title: {text: 'time (UTC)'}}, yaxis: {title: {text: ytitle}}, legend: {orientation: 'h', y: -0.25}};
    for (var k in (extra || {})) { out[k] = extra[k]; }
    return out;
  };
  function drawSchedule(s) {
    var cols = s.schedule.columns, time = s.schedule.time, traces = [], levels = [];
    Object.keys(cols).forEach(function (name) {
      if (name.indexOf('dispatch:') === 0 || name.indexOf('storage_net_discharge:') === 0) {
        traces.push({x: time, y: cols[name], name: name, type: 'scatter', mode: 'lines', stackgroup: 'supply'});
      } else if (name.indexOf('flow:') === 0 || name.indexOf('unserved:') === 0) {
        traces.push({x: time, y: cols[name], name: name, type: 'scatter', mode: 'lines', line: {dash: 'dot'}});
      } else if (name.indexOf('storage_level:') === 0 || name.indexOf('reservoir_level:') === 0) {
        levels.push({x: time, y: cols[name], name: name, type: 'scatter', mode: 'lines'});
      }
    });
    var net = cols['grid_import [MW]'].map(function (v, i) { return v - cols['grid_export [MW]'][i]; });
    traces.push({x: time, y: net, name: 'grid net import [MW]', type: 'scatter', mode: 'lines', line: {width: 3}});
    document.getElementById('schedule-caption').textContent = 'Schedule ' + s.id + ' from ' + s.start + ' UTC, ' +
      s.hours + ' h; solver ' + s.solver_status + ', greenzone ' + s.greenzone_version + ', made ' + s.created_at + ' UTC.';
    Plotly.newPlot('schedule-figure', traces, layout('Dispatch by unit, links and grid [MW]', 'MW'), {displaylogo: false});
    if (levels.length) {
      Plotly.newPlot('storage-figure', levels, layout('Storage and reservoir levels [MWh]', 'MWh'), {displaylogo: false});
    }
    return traces.length + levels.length;
  }
  function drawHistory(days) {
    var x = [], f = [], a = [], sch = [], set = [], names = [], costs = [];
    days.forEach(function (d) {
      var h = d.hourly;
      x = x.concat(h.time, [null]);
      f = f.concat(h['demand_forecast [MW]'], [null]);
      a = a.concat(h['demand_actual [MW]'], [null]);
      sch = sch.concat(h['grid_net_import_scheduled [MW]'], [null]);
      set = set.concat(h['grid_net_import_settled [MW]'], [null]);
      names.push('schedule ' + d.schedule + ' (' + h.time[0].slice(0, 10) + ')');
      costs.push(d.cost_of_forecast_error_usd);
    });
    Plotly.newPlot('history-figure', [
      {x: x, y: f, name: 'demand forecast [MW]', type: 'scatter', mode: 'lines', line: {dash: 'dot'}},
      {x: x, y: a, name: 'demand actual [MW]', type: 'scatter', mode: 'lines'},
      {x: x, y: sch, name: 'grid net import scheduled [MW]', type: 'scatter', mode: 'lines', line: {dash: 'dot'}},
      {x: x, y: set, name: 'grid net import settled [MW]', type: 'scatter', mode: 'lines'}
    ], layout('Scheduled against actual [MW]', 'MW'), {displaylogo: false});
    Plotly.newPlot('cost-figure', [{x: names, y: costs, type: 'bar', name: 'cost of forecast error [USD]'}],
      layout('Cost of forecast error by scheduled day [USD]', 'USD', {xaxis: {type: 'category'}}), {displaylogo: false});
  }
  api('').then(function (info) {
    document.getElementById('zone-name').textContent = '— ' + info.name;
    return api('/schedules?limit=14');
  }).then(function (list) {
    if (!list.length) { say('zone ' + zone + ' has no schedules yet', 'ok'); return; }
    return api('/schedules/' + list[0].id).then(function (latest) {
      drawSchedule(latest);
      return Promise.all(list.map(function (s) {
        return api('/schedules/' + s.id + '/settlement').catch(function (e) { if (e.status === 404) { return null; } throw e; });
      }));
    }).then(function (settled) {
      var days = settled.filter(function (d) { return d !== null; }).reverse();
      if (days.length) { drawHistory(days); }
      say('schedule ' + list[0].id + ' shown; ' + days.length + ' day(s) settled against actuals', 'ok');
    });
  }).catch(function (e) { say(e.message, 'error'); });
})();

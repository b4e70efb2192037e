"""Benchmark: weather and resource profiles for the embedded Karabakh zone, 1 and 10 weather years,
side by side with the peers (pvlib's ModelChain and windpowerlib's ModelChain, site by site) on the same
weather.

Each case runs in a fresh process so that its peak memory (max RSS) is its own. Writes a Markdown table to
stdout; `python benchmarks/profiles.py >> docs/benchmarks.md` records it. Timings on a shared 2-core machine
are noisy: compare the ratios, not the seconds.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import sys
import time


def _greenzone(years: int) -> dict:
    import greenzone as gz

    zone = gz.load_zone()
    t0 = time.perf_counter()
    weather = gz.load_weather(zone, years=years, seed=1)
    t1 = time.perf_counter()
    gz.profiles(zone, weather)
    t2 = time.perf_counter()
    return {"weather_s": t1 - t0, "profiles_s": t2 - t1, "sites": len(zone.nodes)}


def _peer(years: int) -> dict:
    """pvlib ModelChain (PVWatts, fixed tilt) and windpowerlib ModelChain for every site, the peers' way."""
    import pandas as pd
    import pvlib
    from windpowerlib import ModelChain as WindModelChain
    from windpowerlib import WindTurbine

    import greenzone as gz
    from greenzone.resources.solar import optimal_tilt

    zone = gz.load_zone()
    weather = gz.load_weather(zone, years=years, seed=1)
    time_index = pd.DatetimeIndex(weather.indexes["time"]) + pd.Timedelta(minutes=30)
    t0 = time.perf_counter()
    for node in zone.nodes:
        site = weather.sel(site=node.id)
        location = pvlib.location.Location(node.lat, node.lon, altitude=node.elevation_m)
        system = pvlib.pvsystem.PVSystem(
            surface_tilt=float(optimal_tilt(node.lat)),
            surface_azimuth=180,
            module_parameters={"pdc0": 1.25, "gamma_pdc": -0.0035},
            inverter_parameters={"pdc0": 1 / 0.96, "eta_inv_nom": 0.96},
            temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][
                "open_rack_glass_glass"
            ],
        )
        chain = pvlib.modelchain.ModelChain(system, location, aoi_model="physical", spectral_model="no_loss")
        frame = pd.DataFrame(
            {v: site[v].values for v in ("ghi", "dni", "dhi", "temp_air", "wind_speed")}, index=time_index
        )
        chain.run_model(frame)
        turbine = WindTurbine(turbine_type="E-115/3200", hub_height=100)
        wind = pd.DataFrame(
            {
                ("wind_speed", 100): site["wind_speed"].values,
                ("temperature", 2): site["temp_air"].values + 273.15,
                ("pressure", 0): site["pressure"].values,
                ("roughness_length", 0): node.roughness_length_m,
            },
            index=time_index,
        )
        WindModelChain(
            turbine, density_model="ideal_gas", temperature_model="linear_gradient", density_correction=True
        ).run_model(wind)
    return {"profiles_s": time.perf_counter() - t0, "sites": len(zone.nodes)}


def _run(target, years, queue):
    result = target(years)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def measure(target, years: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_run, args=(target, years, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    rows = []
    for years in (1, 10):
        ours = measure(_greenzone, years)
        peer = measure(_peer, years)
        site_years = ours["sites"] * years
        rows.append((years, site_years, ours, peer))
        print(json.dumps({"years": years, "greenzone": ours, "peer": peer}), file=sys.stderr)
    print(
        "| weather years | site-years | synthetic weather [s] | greenzone profiles [s] | per site-year [s] "
        "| peak memory [MiB] | peer profiles (pvlib + windpowerlib ModelChain, solar and wind only) [s] "
        "| peer / greenzone |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for years, site_years, ours, peer in rows:
        total = ours["weather_s"] + ours["profiles_s"]
        print(
            f"| {years} | {site_years} | {ours['weather_s']:.2f} | {ours['profiles_s']:.2f} | "
            f"{total / site_years:.3f} | {ours['peak_rss_mib']:.0f} | {peer['profiles_s']:.2f} | "
            f"{peer['profiles_s'] / ours['profiles_s']:.1f}x |"
        )


if __name__ == "__main__":
    main()

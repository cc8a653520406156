"""One great-circle distance for every capability."""
import math

import numpy as np

from kernel.geo import EARTH_RADIUS_KM, chord_km, distance_km, unit_vectors


def test_haversine_and_chord_agree_on_known_distances():
    # 衢州 (28.97, 118.87) → 杭州 (30.27, 120.15): about 190 km; a quarter meridian: πR/2
    lat = np.asarray([28.97, 0.0])
    lon = np.asarray([118.87, 0.0])
    to_lat, to_lon = np.asarray([30.27, 90.0]), np.asarray([120.15, 0.0])
    d = distance_km(lat, lon, to_lat, to_lon)
    assert 180 < d[0] < 200 and math.isclose(d[1], math.pi * EARTH_RADIUS_KM / 2, rel_tol=1e-9)
    a, b = np.stack(unit_vectors(lat, lon)), np.stack(unit_vectors(to_lat, to_lon))
    np.testing.assert_allclose(chord_km(np.linalg.norm(a - b, axis=0)), d, rtol=1e-9)


def test_unknown_coordinates_give_nan():
    assert np.isnan(distance_km(np.asarray([np.nan]), np.asarray([1.0]), 2.0, 3.0)).all()

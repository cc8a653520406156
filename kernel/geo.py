"""Great-circle distances, one way for every capability (targets' proximity, the land matcher's distances).

EARTH_RADIUS_KM is the IUGG mean radius. Coordinates are degrees; NaN where unknown gives NaN."""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on the unit sphere (NaN where the coordinates are unknown): distances then need one arcsin."""
    phi, lam = np.radians(lat), np.radians(lon)
    c = np.cos(phi)
    return c * np.cos(lam), c * np.sin(lam), np.sin(phi)


def chord_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km from the straight-line distance between two unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))


def distance_km(lat1: np.ndarray, lon1: np.ndarray, lat2: float | np.ndarray, lon2: float | np.ndarray) -> np.ndarray:
    """Great-circle km between points (arrays broadcast), by the haversine formula."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

//! Plane geometry for the layout: points, angles, segments.

use std::f64::consts::PI;
use std::ops::{Add, Mul, Sub};

/// A point (or vector) in the drawing plane, in bond lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    /// Rightwards.
    pub x: f64,
    /// Upwards (as chemists draw; an SVG writer flips it).
    pub y: f64,
}

impl Point {
    /// A point.
    pub const fn new(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    /// The unit vector at `angle` radians from the x axis.
    pub fn polar(angle: f64) -> Point {
        Point::new(angle.cos(), angle.sin())
    }

    /// Length of the vector.
    pub fn norm(self) -> f64 {
        self.x.hypot(self.y)
    }

    /// Distance to another point.
    pub fn dist(self, o: Point) -> f64 {
        (self - o).norm()
    }

    /// Angle of the vector from the x axis, in (-π, π].
    pub fn angle(self) -> f64 {
        self.y.atan2(self.x)
    }

    /// The vector scaled to length 1 (the zero vector stays zero).
    pub fn unit(self) -> Point {
        let n = self.norm();
        if n < 1e-12 {
            Point::default()
        } else {
            self * (1.0 / n)
        }
    }

    /// z of the cross product: > 0 when `o` is anticlockwise from `self`.
    pub fn cross(self, o: Point) -> f64 {
        self.x * o.y - self.y * o.x
    }

    /// Dot product.
    pub fn dot(self, o: Point) -> f64 {
        self.x * o.x + self.y * o.y
    }

    /// Rotated anticlockwise by `angle` radians about the origin.
    pub fn rotated(self, angle: f64) -> Point {
        let (s, c) = angle.sin_cos();
        Point::new(self.x * c - self.y * s, self.x * s + self.y * c)
    }

    /// The vector turned a quarter anticlockwise.
    pub fn perp(self) -> Point {
        Point::new(-self.y, self.x)
    }

    /// Mirror image across the line through `a` and `b`.
    pub fn reflected(self, a: Point, b: Point) -> Point {
        let d = (b - a).unit();
        let v = self - a;
        let along = d * v.dot(d);
        a + along * 2.0 - v
    }
}

impl Add for Point {
    type Output = Point;
    fn add(self, o: Point) -> Point {
        Point::new(self.x + o.x, self.y + o.y)
    }
}

impl Sub for Point {
    type Output = Point;
    fn sub(self, o: Point) -> Point {
        Point::new(self.x - o.x, self.y - o.y)
    }
}

impl Mul<f64> for Point {
    type Output = Point;
    fn mul(self, k: f64) -> Point {
        Point::new(self.x * k, self.y * k)
    }
}

/// An angle brought into [0, 2π).
pub fn normalise(angle: f64) -> f64 {
    let a = angle.rem_euclid(2.0 * PI);
    if a >= 2.0 * PI {
        0.0
    } else {
        a
    }
}

/// Whether segments `p1p2` and `p3p4` cross at a point inside both (touching at an end
/// or running along each other does not count; segments sharing an atom are never asked).
pub fn segments_cross(p1: Point, p2: Point, p3: Point, p4: Point) -> bool {
    const EPS: f64 = 1e-9;
    let d1 = (p2 - p1).cross(p3 - p1);
    let d2 = (p2 - p1).cross(p4 - p1);
    let d3 = (p4 - p3).cross(p1 - p3);
    let d4 = (p4 - p3).cross(p2 - p3);
    ((d1 > EPS && d2 < -EPS) || (d1 < -EPS && d2 > EPS))
        && ((d3 > EPS && d4 < -EPS) || (d3 < -EPS && d4 > EPS))
}

/// Distance from `p` to the segment `ab`.
pub fn point_segment_distance(p: Point, a: Point, b: Point) -> f64 {
    let ab = b - a;
    let len2 = ab.dot(ab);
    if len2 < 1e-12 {
        return p.dist(a);
    }
    let t = ((p - a).dot(ab) / len2).clamp(0.0, 1.0);
    p.dist(a + ab * t)
}

/// The centroid of some points (the origin for none).
pub fn centroid(points: impl IntoIterator<Item = Point>) -> Point {
    let (mut sum, mut n) = (Point::default(), 0usize);
    for p in points {
        sum = sum + p;
        n += 1;
    }
    if n == 0 {
        sum
    } else {
        sum * (1.0 / n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_segments() {
        let o = Point::new(0.0, 0.0);
        assert!(segments_cross(
            Point::new(-1.0, 0.0),
            Point::new(1.0, 0.0),
            Point::new(0.0, -1.0),
            Point::new(0.0, 1.0)
        ));
        // touching at an end is not a crossing
        assert!(!segments_cross(
            o,
            Point::new(1.0, 0.0),
            Point::new(1.0, 0.0),
            Point::new(2.0, 1.0)
        ));
        assert!(!segments_cross(
            o,
            Point::new(1.0, 0.0),
            Point::new(0.0, 1.0),
            Point::new(1.0, 1.0)
        ));
    }

    #[test]
    fn reflection_and_rotation() {
        let p = Point::new(1.0, 1.0).reflected(Point::new(0.0, 0.0), Point::new(1.0, 0.0));
        assert!((p.x - 1.0).abs() < 1e-12 && (p.y + 1.0).abs() < 1e-12);
        let r = Point::new(1.0, 0.0).rotated(PI / 2.0);
        assert!(r.x.abs() < 1e-12 && (r.y - 1.0).abs() < 1e-12);
        assert!(
            (point_segment_distance(Point::new(0.5, 2.0), o(), Point::new(1.0, 0.0)) - 2.0).abs()
                < 1e-12
        );
    }

    fn o() -> Point {
        Point::default()
    }
}

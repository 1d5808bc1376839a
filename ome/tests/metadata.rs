//! OME-Zarr metadata: spec-shaped documents round-trip exactly and validate; invalid
//! documents give errors that name the JSON path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Map, Value};
use zarrkit_ome::*;

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// A 0.4 image as the specification's examples write it (5-D, units, omero, a top-level
/// scale, metadata, an unknown member).
fn image_04() -> Value {
    json!({
        "multiscales": [{
            "version": "0.4",
            "name": "example",
            "axes": [
                {"name": "t", "type": "time", "unit": "millisecond"},
                {"name": "c", "type": "channel"},
                {"name": "z", "type": "space", "unit": "micrometer"},
                {"name": "y", "type": "space", "unit": "micrometer"},
                {"name": "x", "type": "space", "unit": "micrometer"}
            ],
            "datasets": [
                {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 0.5, 0.5, 0.5]}]},
                {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 1.0, 1.0, 1.0]}, {"type": "translation", "translation": [0, 0, 0.25, 0.25, 0.25]}]},
                {"path": "2", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 2.0, 2.0, 2.0]}]}
            ],
            "coordinateTransformations": [{"type": "scale", "scale": [0.1, 1.0, 1.0, 1.0, 1.0]}],
            "type": "gaussian",
            "metadata": {"description": "the fields in metadata depend on the downscaling implementation", "method": "skimage.transform.pyramid_gaussian", "version": "0.16.1", "args": "[true]", "kwargs": {"multichannel": true}},
            "x-unknown": {"kept": 1e-3}
        }],
        "omero": {
            "id": 1, "name": "example.tif", "version": "0.4",
            "channels": [{"active": true, "coefficient": 1, "color": "0000FF", "family": "linear", "inverted": false, "label": "LaminB1", "window": {"end": 1500, "max": 65535, "min": 0, "start": 0}}],
            "rdefs": {"defaultT": 0, "defaultZ": 118, "model": "color"}
        },
        "other": "attribute"
    })
}

fn image_05() -> Value {
    json!({
        "ome": {
            "version": "0.5",
            "multiscales": [{
                "name": "example",
                "axes": [
                    {"name": "c", "type": "channel"},
                    {"name": "y", "type": "space", "unit": "micrometer"},
                    {"name": "x", "type": "space", "unit": "micrometer"}
                ],
                "datasets": [
                    {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 0.5, 0.5]}]},
                    {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 1.0]}, {"type": "translation", "translation": [0.0, 0.25, 0.25]}]}
                ],
                "type": "mean"
            }],
            "omero": {"channels": [{"color": "FF0000", "window": {"start": 0, "end": 255, "min": 0, "max": 255}, "active": true}], "rdefs": {"model": "greyscale"}}
        },
        "_creator": {"name": "someone"}
    })
}

fn label_05() -> Value {
    json!({
        "ome": {
            "version": "0.5",
            "image-label": {
                "colors": [{"label-value": 1, "rgba": [255, 255, 255, 255]}, {"label-value": 4, "rgba": [0, 255, 255, 128]}],
                "properties": [{"label-value": 1, "area (pixels)": 1200, "class": "foo"}, {"label-value": 4, "area (pixels)": 1650}],
                "source": {"image": "../../"}
            },
            "multiscales": [{
                "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}]
            }]
        }
    })
}

fn label_04() -> Value {
    json!({
        "image-label": {
            "version": "0.4",
            "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
            "properties": [{"label-value": 1, "class": "cell"}],
            "source": {"image": "../../"}
        },
        "multiscales": [{
            "version": "0.4",
            "axes": [{"name": "z", "type": "space"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1, 1]}]}]
        }]
    })
}

#[test]
fn documents_round_trip_exactly_and_validate() {
    for (doc, version) in [
        (image_04(), OmeVersion::V0_4),
        (image_05(), OmeVersion::V0_5),
        (label_05(), OmeVersion::V0_5),
        (label_04(), OmeVersion::V0_4),
        (json!({"labels": ["cells", "nuclei"]}), OmeVersion::V0_4),
        (
            json!({"ome": {"version": "0.5", "labels": ["cells"]}}),
            OmeVersion::V0_5,
        ),
    ] {
        let a = attrs(doc.clone());
        let m = OmeMetadata::from_attributes(&a).unwrap();
        assert_eq!(m.version, version);
        assert_eq!(Value::Object(m.to_attributes()), doc, "round trip");
        let issues = m.validate();
        assert!(
            issues.iter().all(|i| i.severity != Severity::Error),
            "{issues:?}"
        );
    }
    let m = OmeMetadata::from_attributes(&attrs(image_04())).unwrap();
    let ms = &m.multiscales.as_ref().unwrap()[0];
    assert_eq!(ms.axes[0].r#type, Some(AxisType::Time));
    assert_eq!(ms.axes[2].unit.as_deref(), Some("micrometer"));
    assert_eq!(
        ms.datasets[1].coordinate_transformations[1]
            .values()
            .unwrap(),
        vec![0.0, 0.0, 0.25, 0.25, 0.25]
    );
    assert_eq!(
        m.omero.as_ref().unwrap().channels[0].label.as_deref(),
        Some("LaminB1")
    );
    let l = OmeMetadata::from_attributes(&attrs(label_05())).unwrap();
    let il = l.image_label.unwrap();
    assert_eq!(
        il.colors.as_ref().unwrap()[1].rgba.as_ref().unwrap()[3].as_u64(),
        Some(128)
    );
    assert_eq!(il.properties.as_ref().unwrap()[0].extra["class"], "foo");
}

#[test]
fn versions_convert() {
    let m = OmeMetadata::from_attributes(&attrs(image_04())).unwrap();
    let v5 = m.with_version(OmeVersion::V0_5).to_attributes();
    assert_eq!(v5["ome"]["version"], "0.5");
    assert!(v5["ome"]["multiscales"][0].get("version").is_none());
    assert_eq!(v5["other"], "attribute");
    let back = OmeMetadata::from_attributes(&v5)
        .unwrap()
        .with_version(OmeVersion::V0_4);
    assert_eq!(Value::Object(back.to_attributes()), image_04());
}

fn first_error(doc: Value) -> (String, String) {
    let a = attrs(doc);
    match OmeMetadata::from_attributes(&a) {
        Err(OmeError::Invalid { path, message }) => (path, message),
        Err(e) => panic!("{e}"),
        Ok(m) => {
            let i = m
                .validate()
                .into_iter()
                .find(|i| i.severity == Severity::Error)
                .expect("an error");
            (i.path, i.message)
        }
    }
}

fn with(mut doc: Value, pointer: &str, v: Value) -> Value {
    *doc.pointer_mut(pointer).unwrap() = v;
    doc
}

#[test]
fn errors_name_the_json_path() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(image_05(), "/ome/multiscales/0/axes/1/type", json!(3)),
            "ome.multiscales[0].axes[1].type",
            "must be a string",
        ),
        (
            {
                let mut d = image_05();
                d["ome"]["multiscales"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("axes");
                d
            },
            "ome.multiscales[0]",
            "\"axes\"",
        ),
        (
            with(
                image_05(),
                "/ome/multiscales/0/axes/2/type",
                json!("channel"),
            ),
            "ome.multiscales[0].axes",
            "space",
        ),
        (
            with(
                image_05(),
                "/ome/multiscales/0/datasets/1/coordinateTransformations",
                json!([{"type": "translation", "translation": [0, 0, 0]}, {"type": "scale", "scale": [1, 1, 1]}]),
            ),
            "ome.multiscales[0].datasets[1].coordinateTransformations",
            "first",
        ),
        (
            with(
                image_05(),
                "/ome/multiscales/0/datasets/0/coordinateTransformations",
                json!([{"type": "scale", "scale": [1, 1, 1]}, {"type": "scale", "scale": [1, 1, 1]}]),
            ),
            "ome.multiscales[0].datasets[0].coordinateTransformations",
            "exactly one scale",
        ),
        (
            with(
                image_05(),
                "/ome/multiscales/0/datasets/0/coordinateTransformations/0/scale",
                json!([1, 1]),
            ),
            "ome.multiscales[0].datasets[0].coordinateTransformations[0].scale",
            "2 values for 3 axes",
        ),
        (
            with(
                image_05(),
                "/ome/multiscales/0/datasets/0/coordinateTransformations/0/type",
                json!("rotation"),
            ),
            "ome.multiscales[0].datasets[0].coordinateTransformations[0].type",
            "unknown",
        ),
        (
            with(image_05(), "/ome/multiscales/0/axes/0/name", json!("y")),
            "ome.multiscales[0].axes[1].name",
            "duplicate",
        ),
        (
            with(image_05(), "/ome/multiscales/0/datasets", json!([])),
            "ome.multiscales[0].datasets",
            "at least one",
        ),
        (
            with(label_05(), "/ome/image-label/colors/0/rgba/1", json!(256)),
            "ome.image-label.colors[0].rgba[1]",
            "0–255",
        ),
        (
            with(
                label_05(),
                "/ome/image-label/properties/0/label-value",
                json!(1.5),
            ),
            "ome.image-label.properties[0].label-value",
            "integer",
        ),
        (
            with(
                image_05(),
                "/ome/omero/channels/0/window",
                json!({"start": 0, "end": 1, "min": 0}),
            ),
            "ome.omero.channels[0].window",
            "\"max\"",
        ),
        (
            {
                let mut d = image_04();
                d["omero"]["channels"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("window");
                d
            },
            "omero.channels[0]",
            "\"window\"",
        ),
        (
            {
                let mut d = image_04();
                d["omero"]["channels"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("color");
                d
            },
            "omero.channels[0]",
            "\"color\"",
        ),
        (
            with(image_05(), "/ome/version", json!("0.6")),
            "ome.version",
            "unsupported",
        ),
        (
            with(image_04(), "/multiscales/0/version", json!("0.3")),
            "multiscales[0].version",
            "unsupported",
        ),
        (
            with(
                image_04(),
                "/multiscales/0/axes",
                json!([{"name": "x", "type": "space"}]),
            ),
            "multiscales[0].axes",
            "2 to 5",
        ),
        (
            with(
                image_04(),
                "/multiscales/0/axes",
                json!([{"name": "z", "type": "space"}, {"name": "t", "type": "time"}, {"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}]),
            ),
            "multiscales[0].axes",
            "ordered",
        ),
    ];
    for (doc, path, msg) in cases {
        let (p, m) = first_error(doc);
        assert_eq!(p, path, "({m})");
        assert!(m.contains(msg), "{p}: {m:?} should mention {msg:?}");
    }
    assert!(matches!(
        OmeMetadata::from_attributes(&attrs(json!({"foo": 1}))),
        Err(OmeError::NotOme)
    ));
}

#[test]
fn unlisted_units_are_warnings() {
    let d = with(
        image_05(),
        "/ome/multiscales/0/axes/1/unit",
        json!("parsecs"),
    );
    let m = OmeMetadata::from_attributes(&attrs(d)).unwrap();
    let issues = m.validate();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].severity, Severity::Warning);
    assert_eq!(issues[0].path, "ome.multiscales[0].axes[1].unit");
}

#[test]
fn omero_window_is_optional_in_05_and_versions_are_kept() {
    // 0.5's schema does not require a channel window (0.4's does).
    let mut d = image_05();
    d["ome"]["omero"]["channels"][0]
        .as_object_mut()
        .unwrap()
        .remove("window");
    let m = OmeMetadata::from_attributes(&attrs(d)).unwrap();
    assert!(m.validate().is_empty(), "{:?}", m.validate());
    // ome-zarr-py writes `labels` groups without `ome.version`: read as 0.5, written with it.
    let m = OmeMetadata::from_attributes(&attrs(json!({"ome": {"labels": ["coins"]}}))).unwrap();
    assert_eq!(m.version, OmeVersion::V0_5);
    assert_eq!(
        Value::Object(m.to_attributes()),
        json!({"ome": {"version": "0.5", "labels": ["coins"]}})
    );
    // ... and `image-label.version` inside 0.5: kept on writing, dropped on conversion.
    let mut l = label_05();
    l["ome"]["image-label"]["version"] = json!("0.5");
    let m = OmeMetadata::from_attributes(&attrs(l.clone())).unwrap();
    assert_eq!(Value::Object(m.to_attributes()), l);
    let v4 = m.with_version(OmeVersion::V0_4).to_attributes();
    assert_eq!(v4["image-label"]["version"], "0.4");
    let back = OmeMetadata::from_attributes(&v4)
        .unwrap()
        .with_version(OmeVersion::V0_5);
    assert!(back.to_attributes()["ome"]["image-label"]
        .get("version")
        .is_none());
}

//! Real files as phones and scanners make them (made with Pillow, see the fixtures'
//! README): each is taken by its content, and its public copy keeps the picture but
//! not the camera's make or position.

use minsheng_core::attachment::{FileKind, Limits, check, without_metadata};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect(name)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn real_images_lose_their_location_and_stay_images() {
    for (name, kind) in [
        ("photo-gps.jpg", FileKind::Jpeg),
        ("screenshot.png", FileKind::Png),
        ("photo-gps.webp", FileKind::Webp),
    ] {
        let original = fixture(name);
        assert_eq!(check(&original, &Limits::default()), Ok(kind), "{name}");
        assert!(contains(&original, b"PhoneMaker"), "{name} carries EXIF");
        let public = without_metadata(kind, &original).expect(name);
        assert!(!contains(&public, b"PhoneMaker"), "{name}: EXIF left");
        assert!(!contains(&public, b"GPSLatitude"), "{name}: XMP left");
        assert!(
            !contains(&public, &[0x25, 0x88]) && !contains(&public, &[0x88, 0x25]),
            "{name}: a GPS directory left"
        );
        assert_eq!(
            check(&public, &Limits::default()),
            Ok(kind),
            "{name} still reads"
        );
        assert!(public.len() < original.len());
    }
    // The sideways phone photo keeps its orientation (6: turn right).
    let public = without_metadata(FileKind::Jpeg, &fixture("photo-gps.jpg")).expect("jpeg");
    assert!(contains(&public, &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6]));
}

#[test]
fn a_scanned_letter_is_a_pdf_with_no_public_copy() {
    let pdf = fixture("letter.pdf");
    assert_eq!(check(&pdf, &Limits::default()), Ok(FileKind::Pdf));
    assert!(without_metadata(FileKind::Pdf, &pdf).is_none());
}

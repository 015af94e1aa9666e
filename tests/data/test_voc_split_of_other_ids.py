"""A VOC split file none of whose ids has its ``Annotations/<id>.xml`` (a split file of another
copy of the dataset, or ids written otherwise than the files: ``2007_000001`` for
``000001.xml``) is one error that shows the first id's line and what ``Annotations`` holds, so
that the two namings can be compared without listing the folder."""

from __future__ import annotations

import pytest

from detseg.data.voc import VOCDetection


def test_a_split_of_other_ids_shows_how_the_xml_files_are_named(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    for name in ("000001", "000002"):
        (tmp_path / "Annotations" / f"{name}.xml").write_text("<annotation></annotation>")
    split_file = tmp_path / "ImageSets" / "Main" / "train.txt"
    split_file.write_text("\n2007_000001\n2007_000002\n")
    with pytest.raises(FileNotFoundError) as error:
        VOCDetection(tmp_path, "train")
    assert str(error.value).startswith(
        f"none of the 2 annotation files listed by {split_file} exists (first: "
        f"{tmp_path / 'Annotations' / '2007_000001.xml'}, line 2); Annotations holds 2 .xml "
        "files: 000001.xml, 000002.xml; is the split file meant for this data.root? expected "
    )

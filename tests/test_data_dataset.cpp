// Dataset readers: the real HAM10000 and ISIC 2018 folders, and generated
// files for every layout and every bad-input case.
#include <doctest/doctest.h>

#include "data/csv.h"
#include "data/dataset.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;
using cudagrad_test::write_file;

namespace {
const char* kHamHeader = "lesion_id,image_id,dx,dx_type,age,sex,localization\n";
const char* kIsicHeader = "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n";

DatasetOptions skipping() {
  DatasetOptions o;
  o.skip_missing = true;
  return o;
}
}  // namespace

TEST_CASE("dataset: real HAM10000, partial download") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  CHECK(detect_layout(dir) == Layout::ham10000);

  std::string err = error_of([&] { load_dataset(dir); });
  CHECK(err.find("9809 of 10015 listed images are not below") != std::string::npos);
  CHECK(err.find("(skip missing images to use the 206 found)") != std::string::npos);

  Dataset d = load_dataset(dir, skipping());
  CHECK(d.layout == Layout::ham10000);
  CHECK(d.listed == 10015);
  CHECK(d.missing == 9809);
  CHECK(d.samples.size() == 206);
  CHECK(d.num_groups() == 200);
  CHECK(d.class_names == ham10000_classes());
  CHECK(d.class_counts() == std::vector<int64_t>{22, 22, 28, 17, 36, 59, 22});
  for (const auto& s : d.samples) {
    CHECK(std::filesystem::exists(s.image_path));
    CHECK(s.group_id.rfind("HAM_", 0) == 0);
  }
  MESSAGE(describe(d));

  // The csv named directly gives the same, and the binary modes fold labels.
  DatasetOptions mel = skipping();
  mel.labels = LabelMode::mel_vs_rest;
  Dataset m = load_dataset(dir + "/HAM10000_metadata.csv", mel);
  CHECK(m.class_names == std::vector<std::string>{"other", "mel"});
  CHECK(m.class_counts() == std::vector<int64_t>{170, 36});
  DatasetOptions malignant = skipping();
  malignant.labels = LabelMode::malignant_vs_benign;
  CHECK(load_dataset(dir, malignant).class_counts() == std::vector<int64_t>{126, 80});
}

TEST_CASE("dataset: the full HAM10000 metadata has the published class counts") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  CsvTable t = read_csv(dir + "/HAM10000_metadata.csv");
  std::vector<int64_t> counts(7, 0);
  int dx = t.require_column("dx");
  for (const auto& row : t.rows) counts.at(label_for_dx(row[dx], LabelMode::multiclass)) += 1;
  CHECK(t.rows.size() == 10015);
  CHECK(counts == std::vector<int64_t>{327, 514, 1099, 115, 1113, 6705, 142});
}

TEST_CASE("dataset: real ISIC 2018 Task 3 test set") {
  REQUIRE_SHARED_DATA(dir, "isic2018-task3");
  CHECK(detect_layout(dir) == Layout::isic2018);
  Dataset d = load_dataset(dir);
  CHECK(d.layout == Layout::isic2018);
  CHECK(d.samples.size() == 1007);
  CHECK(d.missing == 0);
  // NV 605, BKL 145, MEL 114, BCC 62, AKIEC 29, DF 29, VASC 23.
  CHECK(d.class_counts() == std::vector<int64_t>{29, 62, 145, 29, 114, 605, 23});
  CHECK(d.num_groups() == 1007);  // no lesion groupings file: each image is its own group
  CHECK(d.samples[0].image_id == "ISIC_0034525");
  CHECK(d.samples[0].label == 5);  // nv
  MESSAGE(describe(d));
}

TEST_CASE("dataset: HAM10000 layout with images in any folder below the root") {
  TempDir t("ham");
  write_file(t.path() / "meta" / "HAM10000_metadata.csv",
             std::string(kHamHeader) +
                 "HAM_1,ISIC_1,mel,histo,50.0,male,back\r\n"
                 "HAM_1,ISIC_2,mel,histo,50.0,male,back\r\n"
                 "\"HAM_2\",ISIC_3,nv,follow_up,,female,\"lower extremity, left\"\r\n"
                 ",ISIC_4,vasc,consensus,NaN,unknown,face\r\n");
  write_file(t.path() / "part_1" / "ISIC_1.jpg", "x");
  write_file(t.path() / "deep" / "er" / "ISIC_2.JPG", "x");
  write_file(t.path() / "part_2" / "ISIC_3.jpeg", "x");
  write_file(t.path() / "ISIC_4.png", "x");
  Dataset d = load_dataset(t.path().string());
  REQUIRE(d.samples.size() == 4);
  CHECK(d.samples[1].image_path == t / "deep/er/ISIC_2.JPG");
  CHECK(d.samples[0].label == 4);
  CHECK(d.samples[2].label == 5);
  CHECK(d.samples[2].group_id == "HAM_2");
  CHECK(d.samples[3].group_id == "ISIC_4");  // no lesion id: grouped by image
  CHECK(d.num_groups() == 3);
}

TEST_CASE("dataset: HAM10000 bad metadata names the file and line") {
  TempDir t("hambad");
  const std::string csv = t / "HAM10000_metadata.csv";
  auto load_with = [&](const std::string& body) {
    write_file(csv, body);
    return error_of([&] { load_dataset(t.path().string(), skipping()); });
  };
  CHECK(load_with(std::string(kHamHeader) +
                  "HAM_1,ISIC_1,mel,h,1,m,x\nHAM_2,ISIC_2,melanoma,h,1,m,x\n") ==
        csv +
            ":3: unknown class 'melanoma' in column dx (expected one of akiec, bcc, bkl, df, mel, "
            "nv, vasc)");
  CHECK(load_with(std::string(kHamHeader) +
                  "HAM_1,ISIC_1,mel,h,1,m,x\nHAM_2,ISIC_9,nv,h,1,m,x\nHAM_3,ISIC_1,nv,h,1,m,x\n") ==
        csv + ":4: duplicate image id 'ISIC_1' (first listed on line 2)");
  CHECK(load_with("lesion_id,image,dx\nHAM_1,ISIC_1,mel\n") ==
        csv + ":1: missing column 'image_id' (the header has: lesion_id,image,dx)");
  CHECK(load_with(std::string(kHamHeader) + "HAM_1,ISIC_1,mel,h,1,m,x\nHAM_2,ISIC_2,nv\n") ==
        csv + ":3: short row: 3 fields, the header has 7");
  CHECK(load_with(std::string(kHamHeader) + "HAM_1,,mel,h,1,m,x\n") == csv + ":2: empty image_id");
  // A header and nothing else: an empty dataset, said as such.
  CHECK(load_with(kHamHeader) == csv + ": lists no images (a header and no rows)");
  CHECK(load_with("") == csv + ": the file is empty (expected a header line)");
  // The metadata file's name on a folder.
  std::filesystem::remove(csv);
  std::filesystem::create_directory(csv);
  CHECK(error_of([&] { load_dataset(t.path().string()); }) ==
        csv + ": is a folder, expected a CSV file");
}

TEST_CASE("dataset: HAM10000 metadata saved by a spreadsheet (BOM, CRLF, quoted commas)") {
  TempDir t("hamexcel");
  write_file(t.path() / "HAM10000_metadata.csv",
             "\xEF\xBB\xBF\"lesion_id\",\"image_id\",\"dx\",\"localization\"\r\n"
             "HAM_1,ISIC_1,bkl,\"trunk, upper\"\r\n"
             "HAM_2,ISIC_2,\"df\",\"say \"\"x\"\", then, more\"\r\n");
  write_file(t.path() / "ISIC_1.jpg", "x");
  write_file(t.path() / "ISIC_2.jpg", "x");
  Dataset d = load_dataset(t.path().string());
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[0].group_id == "HAM_1");  // the BOM did not stick to the first column name
  CHECK(d.samples[0].label == 2);
  CHECK(d.samples[1].label == 3);
}

TEST_CASE("dataset: images listed but missing are an error, or skipped and counted") {
  TempDir t("hammissing");
  std::string body = kHamHeader;
  for (int i = 0; i < 8; ++i)
    body += "HAM_" + std::to_string(i) + ",ISIC_" + std::to_string(i) + ",nv,h,1,m,x\n";
  write_file(t.path() / "HAM10000_metadata.csv", body);
  write_file(t.path() / "imgs" / "ISIC_3.jpg", "x");
  std::string err = error_of([&] { load_dataset(t.path().string()); });
  CHECK(
      err ==
      t / "HAM10000_metadata.csv" + ": 7 of 8 listed images are not below " + t.path().string() +
          ": ISIC_0, ISIC_1, ISIC_2, ISIC_4, ISIC_5, ... (skip missing images to use the 1 found)");
  Dataset d = load_dataset(t.path().string(), skipping());
  CHECK(d.samples.size() == 1);
  CHECK(d.missing == 7);
  CHECK(d.listed == 8);
  std::filesystem::remove(t.path() / "imgs" / "ISIC_3.jpg");
  CHECK(error_of([&] {
          load_dataset(t.path().string(), skipping());
        }).find("none of its images were found") != std::string::npos);
}

TEST_CASE("dataset: ISIC 2018 layout, official folder names, lesion groupings") {
  TempDir t("isic");
  write_file(
      t.path() / "ISIC2018_Task3_Training_GroundTruth" / "ISIC2018_Task3_Training_GroundTruth.csv",
      std::string(kIsicHeader) +
          "ISIC_1,1.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
          "ISIC_2,0.0,0.0,0.0,0.0,0.0,0.0,1.0\n"
          "ISIC_3,0,0,0,1,0,0,0\n");
  write_file(t.path() / "ISIC2018_Task3_Training_LesionGroupings.csv",
             "image,lesion_id,diagnosis_confirm_type\nISIC_1,HAM_7,histo\nISIC_3,HAM_7,histo\n");
  for (int i = 1; i <= 3; ++i)
    write_file(t.path() / "ISIC2018_Task3_Training_Input" / ("ISIC_" + std::to_string(i) + ".jpg"),
               "x");
  // A second split beside it: Training is the default, Validation on request.
  write_file(t.path() / "ISIC2018_Task3_Validation_GroundTruth.csv",
             std::string(kIsicHeader) + "ISIC_9,0.0,1.0,0.0,0.0,0.0,0.0,0.0\n");
  write_file(t.path() / "ISIC2018_Task3_Validation_Input" / "ISIC_9.jpg", "x");

  CHECK(detect_layout(t.path().string()) == Layout::isic2018);
  Dataset d = load_dataset(t.path().string());
  REQUIRE(d.samples.size() == 3);
  CHECK(d.samples[0].label == 4);  // MEL
  CHECK(d.samples[1].label == 6);  // VASC
  CHECK(d.samples[2].label == 0);  // AKIEC
  CHECK(d.samples[0].group_id == "HAM_7");
  CHECK(d.samples[1].group_id == "ISIC_2");
  CHECK(d.samples[2].group_id == "HAM_7");

  DatasetOptions val;
  val.isic_split = "Validation";
  Dataset v = load_dataset(t.path().string(), val);
  REQUIRE(v.samples.size() == 1);
  CHECK(v.samples[0].label == 5);
  // The csv named directly finds the _Input folder one level up.
  CHECK(load_dataset(t /
                     "ISIC2018_Task3_Training_GroundTruth/ISIC2018_Task3_Training_GroundTruth.csv")
            .samples.size() == 3);
  val.isic_split = "Test";
  CHECK(error_of([&] { load_dataset(t.path().string(), val); }) ==
        t.path().string() + ": no ground truth for split 'Test' (found: Training, Validation)");
}

TEST_CASE("dataset: ISIC 2018 bad ground truth names the file and line") {
  TempDir t("isicbad");
  const std::string csv = t / "ISIC2018_Task3_Test_GroundTruth.csv";
  write_file(t.path() / "ISIC2018_Task3_Test_Input" / "ISIC_1.jpg", "x");
  auto load_with = [&](const std::string& body) {
    write_file(csv, body);
    return error_of([&] { load_dataset(t.path().string()); });
  };
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,1.0,1.0,0.0,0.0,0.0,0.0,0.0\n") ==
        csv + ":2: expected exactly one class marked 1.0, found 2 (MEL, NV)");
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n") ==
        csv + ":2: expected exactly one class marked 1.0, found 0");
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,0.0,yes,0.0,0.0,0.0,0.0,0.0\n") ==
        csv + ":2: column NV holds 'yes', expected 0.0 or 1.0");
  // A NUL byte ends the C string strtod sees; the cell is still not a number.
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,0.0,1.0" + std::string(1, '\0') +
                  "x,0.0,0.0,0.0,0.0,0.0\n")
            .find(":2: column NV holds '1.0") != std::string::npos);
  CHECK(load_with("image,MEL,NV,BCC,AKIEC,BKL,DF\nISIC_1,1,0,0,0,0,0\n") ==
        csv + ":1: missing column 'VASC' (the header has: image,MEL,NV,BCC,AKIEC,BKL,DF)");
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,1,0,0,0,0,0,0\nISIC_1,1,0,0,0,0,0,0\n") ==
        csv + ":3: duplicate image id 'ISIC_1' (first listed on line 2)");
  std::filesystem::remove_all(t.path() / "ISIC2018_Task3_Test_Input");
  CHECK(load_with(std::string(kIsicHeader) + "ISIC_1,1,0,0,0,0,0,0\n") ==
        csv + ": no ISIC2018_Task3_Test_Input/ folder found beside it");
}

TEST_CASE("dataset: image folders, HAM10000 names and others") {
  TempDir t("folders");
  write_file(t.path() / "nv" / "a.jpg", "x");
  write_file(t.path() / "nv" / "b.png", "x");
  write_file(t.path() / "MEL" / "c.jpg", "x");
  write_file(t.path() / "notes.txt", "x");
  CHECK(detect_layout(t.path().string()) == Layout::image_folder);
  Dataset d = load_dataset(t.path().string());
  CHECK(d.class_names == ham10000_classes());  // HAM names keep the standard order
  REQUIRE(d.samples.size() == 3);
  CHECK(d.samples[0].image_id == "c");
  CHECK(d.samples[0].label == 4);
  CHECK(d.class_counts() == std::vector<int64_t>{0, 0, 0, 0, 1, 2, 0});
  DatasetOptions binary;
  binary.labels = LabelMode::mel_vs_rest;
  CHECK(load_dataset(t.path().string(), binary).class_counts() == std::vector<int64_t>{2, 1});

  TempDir g("generic");
  write_file(g.path() / "malignant" / "x.jpg", "x");
  write_file(g.path() / "benign" / "y.jpg", "x");
  write_file(g.path() / "empty" / "readme.txt", "x");
  Dataset gd = load_dataset(g.path().string());
  CHECK(gd.class_names == std::vector<std::string>{"benign", "malignant"});
  CHECK(gd.samples[1].label == 1);
  CHECK(error_of([&] {
          load_dataset(g.path().string(), binary);
        }).find("needs class folders named after") != std::string::npos);
  write_file(g.path() / "benign" / "x.jpg", "x");
  CHECK(error_of([&] { load_dataset(g.path().string()); }) ==
        g / "malignant/x.jpg" + ": duplicate image id 'x' (also in benign/)");

  // Folders without images: the message says what was expected.
  DatasetOptions forced;
  forced.layout = Layout::image_folder;
  TempDir e("emptytree");
  std::filesystem::create_directories(e.path() / "train" / "nv");
  CHECK(error_of([&] { load_dataset(e.path().string(), forced); }).find("point at one of them") !=
        std::string::npos);
  CHECK(error_of([&] {
          load_dataset((e.path() / "nothing").string());
        }).find("no such file or folder") != std::string::npos);
}

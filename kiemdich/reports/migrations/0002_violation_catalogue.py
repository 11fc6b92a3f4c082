"""The starting catalogue of offences from Decree 117/2020/NĐ-CP (administrative fines in the
health sector), Chapter II, Section 1 (prevention and control of infectious diseases). Fines
are those for individuals; the decree sets twice the amount for organisations. Admins keep
the catalogue current in the admin site."""

from django.db import migrations

DECREE = "Nghị định 117/2020/NĐ-CP"

CATALOGUE = [
    ("nd117-d7-k1", "Điều 7 khoản 1",
     "Che giấu, không khai báo hoặc khai báo không kịp thời hiện trạng bệnh truyền nhiễm "
     "của bản thân hoặc của người khác", 1_000_000, 3_000_000),
    ("nd117-d11-k1", "Điều 11 khoản 1",
     "Từ chối hoặc trốn tránh việc áp dụng biện pháp cách ly y tế, cưỡng chế cách ly y tế",
     5_000_000, 10_000_000),
    ("nd117-d12-k1", "Điều 12 khoản 1",
     "Không thực hiện biện pháp bảo vệ cá nhân đối với người tham gia chống dịch và người "
     "có nguy cơ mắc bệnh dịch (như không đeo khẩu trang nơi công cộng)",
     1_000_000, 3_000_000),
    ("nd117-d12-k2", "Điều 12 khoản 2",
     "Không thực hiện biện pháp chống dịch theo yêu cầu của cơ quan có thẩm quyền "
     "(như kiểm soát người ra vào, khai báo y tế tại cơ sở)", 5_000_000, 10_000_000),
    ("nd117-d12-k3", "Điều 12 khoản 3",
     "Không chấp hành quyết định tạm đình chỉ hoạt động của cơ sở kinh doanh, dịch vụ, "
     "nơi tập trung đông người", 10_000_000, 20_000_000),
    ("nd117-d12-k4", "Điều 12 khoản 4",
     "Tổ chức tập trung đông người tại nơi công cộng khi có quyết định cấm tập trung đông "
     "người", 20_000_000, 30_000_000),
]


def load(apps, schema_editor):
    category = apps.get_model("reports", "ViolationCategory")
    for code, article, title, fine_min, fine_max in CATALOGUE:
        category.objects.update_or_create(code=code, defaults={
            "legal_reference": f"{article} {DECREE}", "title": title,
            "fine_min": fine_min, "fine_max": fine_max, "active": True})


def unload(apps, schema_editor):
    apps.get_model("reports", "ViolationCategory").objects.filter(
        code__in=[row[0] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

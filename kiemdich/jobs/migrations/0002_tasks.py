import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Task',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('label', models.CharField(blank=True, max_length=200)),
                ('params', models.JSONField(blank=True, default=dict)),
                ('status', models.CharField(choices=[('queued', 'Đang chờ'), ('running', 'Đang chạy'), ('done', 'Hoàn tất'), ('rejected', 'Không thực hiện (có dòng lỗi)'), ('cancelled', 'Đã hủy'), ('failed', 'Lỗi')], default='queued', max_length=10)),
                ('stage', models.CharField(blank=True, choices=[('', ''), ('counting', 'Đang đếm số dòng'), ('checking', 'Đang kiểm tra'), ('writing', 'Đang ghi')], default='', max_length=10)),
                ('done', models.PositiveBigIntegerField(default=0)),
                ('total', models.PositiveBigIntegerField(blank=True, null=True)),
                ('counts', models.JSONField(blank=True, default=dict)),
                ('error_count', models.PositiveIntegerField(default=0)),
                ('state', models.JSONField(blank=True, default=dict)),
                ('result_name', models.CharField(blank=True, max_length=200)),
                ('result_type', models.CharField(blank=True, max_length=100)),
                ('message', models.TextField(blank=True)),
                ('cancel_requested', models.BooleanField(default=False)),
                ('holder', models.CharField(blank=True, max_length=100)),
                ('lease_until', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('owner', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='TaskError',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('row', models.PositiveIntegerField()),
                ('column', models.CharField(blank=True, max_length=40)),
                ('message', models.CharField(max_length=300)),
                ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='errors', to='jobs.task')),
            ],
        ),
        migrations.CreateModel(
            name='TaskFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('input', 'Input'), ('result', 'Result')], max_length=6)),
                ('seq', models.PositiveIntegerField()),
                ('data', models.BinaryField()),
                ('task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='files', to='jobs.task')),
            ],
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['owner', '-created_at'], name='task_owner_created'),
        ),
        migrations.AddConstraint(
            model_name='taskerror',
            constraint=models.UniqueConstraint(fields=('task', 'row'), name='taskerror_row'),
        ),
        migrations.AddConstraint(
            model_name='taskfile',
            constraint=models.UniqueConstraint(fields=('task', 'role', 'seq'), name='taskfile_piece'),
        ),
    ]

/* placeholder so the project builds; cmd/ is being written */
int main(void)
{
	return 0;
}
